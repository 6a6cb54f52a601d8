/** `Name: message` of whatever was thrown, without the name when it adds nothing. */
export function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return `non-error thrown: ${String(error)}`;
  const text = error.message === '' ? '(no message)' : error.message;
  return error.name === 'Error' ? text : `${error.name}: ${text}`;
}
