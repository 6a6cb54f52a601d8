/** JSON as prettier prints it (short arrays of numbers on one line), so results files pass the lint. */
export function toJsonText(value: unknown): string {
  const text = JSON.stringify(value, null, 2).replace(
    /\[\n\s+([-\d.e+]+(?:,\n\s+[-\d.e+]+)*)\n\s+\]/g,
    (_, items: string) => `[${items.split(/,\s+/).join(', ')}]`,
  );
  return `${text}\n`;
}
