/**
 * Error codes: every code that the packages' sources raise is one that ActorErrorCode
 * declares (the union is the list users read), and codes of an application's own pass
 * through unchanged.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActorError, HostError, NotFoundError, type ActorErrorCode, type ErrorCode } from '@tsactor/core/internal';

const packagesDir = path.join(__dirname, '..', '..');

function sourcesOf(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourcesOf(p));
    else if (entry.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The members of a string-literal union type declared in errors.ts. */
function unionMembers(source: string, name: string): Set<string> {
  const start = source.indexOf(`export type ${name} =`);
  expect(start).toBeGreaterThanOrEqual(0);
  const body = source.slice(start, source.indexOf(';', start));
  return new Set([...body.matchAll(/\| '([A-Z_]+)'/g)].map((m) => m[1]!));
}

describe('error codes', () => {
  it('every code raised in the packages is declared in ActorErrorCode (add a new one there)', () => {
    const errorsTs = fs.readFileSync(path.join(packagesDir, 'core', 'src', 'errors.ts'), 'utf8');
    const declared = new Set([...unionMembers(errorsTs, 'ActorErrorCode'), ...unionMembers(errorsTs, 'CloseCode')]);
    expect(declared.has('NOT_FOUND')).toBe(true);
    expect(declared.has('SHUTDOWN')).toBe(true);
    const undeclared: string[] = [];
    let seen = 0;
    for (const pkg of fs.readdirSync(packagesDir)) {
      const src = path.join(packagesDir, pkg, 'src');
      if (!fs.existsSync(src)) continue;
      for (const file of sourcesOf(src)) {
        const text = fs.readFileSync(file, 'utf8');
        for (const m of text.matchAll(/\bcode: '([A-Za-z_]+)'|refuseConnection\(\s*'([A-Za-z_]+)'/g)) {
          seen++;
          const code = m[1] ?? m[2]!;
          if (!declared.has(code)) undeclared.push(`${code} (${path.relative(packagesDir, file)})`);
        }
      }
    }
    expect(seen).toBeGreaterThan(50);
    expect(undeclared).toEqual([]);
  });

  it("keeps the built-in classes' codes and an application's own codes", () => {
    const own: ErrorCode = 'MY_APP_QUOTA';
    expect(new ActorError('over quota', { code: own }).code).toBe('MY_APP_QUOTA');
    expect(new HostError('no such host', { code: 'NO_HOST' }).code).toBe('NO_HOST');
    expect(new HostError('something').code).toBe('HOST_ERROR');
    const code: ActorErrorCode = 'NOT_FOUND';
    expect(new NotFoundError('gone').code).toBe(code);
  });
});
