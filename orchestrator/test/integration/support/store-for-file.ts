/**
 * The store a test file works with: opened before its tests and handed to `use`, closed after them
 * with `cleanUp` (dropping the file's database or nodes); every test of the file must assert.
 */
export function storeForFile<S extends { close(): Promise<void> }>(
  open: () => Promise<S>,
  cleanUp: () => Promise<void>,
  use: (store: S) => void,
): void {
  let opened: S | undefined;
  beforeAll(async () => {
    opened = await open();
    use(opened);
  });
  afterAll(async () => {
    await opened?.close();
    await cleanUp();
  });
  beforeEach(() => {
    expect.hasAssertions();
  });
}
