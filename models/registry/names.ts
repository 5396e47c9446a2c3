/**
 * Names that reach the file system or a policy: model names and versions
 * (rules in ../manifest.ts), aliases, and policy targets (a version or an alias).
 * Every check returns the broken rule so a 400 can name it.
 */
import { modelNameProblem, versionProblem } from '../manifest.js';
import { SwitchyardError } from '../../runtime/errors.js';

const ALIAS_RULE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const VERSION_LIKE = /^v[0-9]+$/i;

export function aliasProblem(alias: unknown): string | undefined {
  if (typeof alias !== 'string' || !ALIAS_RULE.test(alias)) {
    return 'an alias is 1-64 characters of letters, digits, "_" and "-", starting with a letter';
  }
  if (VERSION_LIKE.test(alias)) return 'an alias must not look like a version ("v3"), so that policy targets stay unambiguous';
  return undefined;
}

/** `"3"` and `"v3"` name version 3; anything else must be an alias. Returns the canonical target. */
export function canonicalTarget(target: string): string {
  const m = /^v([1-9][0-9]{0,8})$/i.exec(target);
  return m ? m[1]! : target;
}

export function isVersionTarget(target: string): boolean {
  return versionProblem(target) === undefined;
}

export function requireModelName(name: string): string {
  const problem = modelNameProblem(name);
  if (problem) throw new SwitchyardError('SY_ERR_INVALID_NAME', `model name ${JSON.stringify(name)} is invalid: ${problem}`);
  return name;
}

export function requireVersion(version: string): string {
  const problem = versionProblem(version);
  if (problem) throw new SwitchyardError('SY_ERR_INVALID_NAME', `version ${JSON.stringify(version)} is invalid: ${problem}`);
  return version;
}

export function requireAlias(alias: string): string {
  const problem = aliasProblem(alias);
  if (problem) throw new SwitchyardError('SY_ERR_INVALID_NAME', `alias ${JSON.stringify(alias)} is invalid: ${problem}`);
  return alias;
}
