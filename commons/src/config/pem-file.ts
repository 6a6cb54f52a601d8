import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors/config-error';

/**
 * The text of a PEM file a setting names (a CA for TLS to a server), read when the connection is
 * made so that a missing or unreadable file is a config error naming the setting, not a TLS failure.
 */
export function readPemFile(key: string, file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(key, `${key}: cannot read ${file}: ${(error as Error).message}`);
  }
  if (!text.includes('-----BEGIN ')) throw new ConfigError(key, `${key}: ${file} holds no PEM certificate`);
  return text;
}
