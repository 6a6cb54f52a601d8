import { formatProgress } from '../stack/format';
import type { ProgressEvent, ProgressListener } from '../stack/types';

/** Progress goes to stderr so stdout stays clean for `--json` output. */
export function progressPrinter(): ProgressListener {
  return (event: ProgressEvent) => console.error(formatProgress(event));
}
