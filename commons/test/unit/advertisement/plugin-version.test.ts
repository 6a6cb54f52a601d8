import { isPluginVersion, satisfiesMinVersion } from '@wlm/commons/advertisement';
import { MessageValidationError } from '@wlm/commons/errors';

describe('satisfiesMinVersion', () => {
  it.each([
    ['1.2.0', '1.2.0', true],
    ['1.10.0', '1.9.0', true],
    ['2.0.0', '1.99.99', true],
    ['1.2.0', '1.2.1', false],
    ['1.2.0-beta.1', '1.2.0', false],
    ['1.2.0', '1.2.0-beta.1', true],
  ])('%s against a minimum of %s: %s', (version, min, expected) =>
    expect(satisfiesMinVersion(version, min)).toBe(expected),
  );

  it('rejects a minimum that is not a semantic version', () => {
    expect(() => satisfiesMinVersion('1.0.0', '1.2')).toThrow(MessageValidationError);
    expect(() => satisfiesMinVersion('1.0.0', 'latest')).toThrow(/"latest" is not a semantic version/);
  });

  it('never lets an invalid plugin version satisfy a minimum', () => {
    expect(satisfiesMinVersion('banana', '0.0.0')).toBe(false);
  });
});

describe('isPluginVersion', () => {
  it('accepts canonical versions only', () => {
    expect(isPluginVersion('1.2.3')).toBe(true);
    expect(isPluginVersion('1.2.3-rc.1')).toBe(true);
    // Build metadata does not order versions, and the wire's semverSchema leaves it out too.
    expect(isPluginVersion('1.2.3+build.5')).toBe(false);
    expect(isPluginVersion('v1.2.3')).toBe(false);
    expect(isPluginVersion('1.2')).toBe(false);
  });
});
