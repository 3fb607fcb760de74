/**
 * The decorators work in both of TypeScript's flavours: one fixture is type-checked and
 * compiled with legacy decorators (experimentalDecorators + emitDecoratorMetadata) and with
 * standard decorators, and both builds run in child processes against the built
 * packages/tsactor/dist, printing the same lines.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const root = path.resolve(__dirname, '..', '..', '..');
const fixture = path.join(__dirname, 'fixtures', 'flavour-actor.ts');
const tsactorPackage = path.join(root, 'packages', 'tsactor');
const tsactorTypes = path.join(tsactorPackage, 'dist', 'index.d.ts');

const expected = [
  'value 11',
  'whoAmI c at local://local:6790/c',
  'plain ActorError true',
  'ref 16',
  'log callback 16',
  'self true',
  'inherited 20 loud at local://local:6790/loud',
  'after tellTo 20 116',
  'parallel opened',
  'done',
];

/** parsed files, shared by both compilations (lib and @types/node dominate the time) */
const sourceFiles = new Map<string, ts.SourceFile | undefined>();

function compile(outDir: string, legacy: boolean): void {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    // the fixture needs no Node typings (loading @types/node would triple the compile time)
    types: [],
    outDir,
    rootDir: path.dirname(fixture),
    baseUrl: root,
    // type-check against the built declarations the program will run with
    paths: { tsactor: [tsactorTypes] },
    ...(legacy ? { experimentalDecorators: true, emitDecoratorMetadata: true } : {}),
  };
  const host = ts.createCompilerHost(options);
  const parse = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError) => {
    if (!sourceFiles.has(fileName)) sourceFiles.set(fileName, parse(fileName, languageVersion, onError));
    return sourceFiles.get(fileName);
  };
  const program = ts.createProgram([fixture], options, host);
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...program.emit().diagnostics];
  if (diagnostics.length > 0) {
    const host: ts.FormatDiagnosticsHost = {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => root,
      getNewLine: () => '\n',
    };
    throw new Error(
      `the fixture does not compile (${legacy ? 'legacy' : 'standard'} decorators):\n${ts.formatDiagnostics(diagnostics, host)}`,
    );
  }
  // run against the built package: point the import at packages/tsactor (main: dist/index.js)
  const out = path.join(outDir, 'flavour-actor.js');
  const js = fs.readFileSync(out, 'utf8');
  if (!js.includes('require("tsactor")')) throw new Error('the compiled fixture does not require "tsactor"');
  fs.writeFileSync(out, js.replace('require("tsactor")', `require(${JSON.stringify(tsactorPackage)})`));
}

function run(file: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [file], { timeout: 20_000, env: { ...process.env, TSACTOR_CONTEXT: '' } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} failed: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

describe('decorator flavours', () => {
  let dir: string;

  beforeAll(() => {
    if (!fs.existsSync(path.join(tsactorPackage, 'dist', 'index.js')) || !fs.existsSync(tsactorTypes)) {
      throw new Error('packages/tsactor/dist is missing: build it first with `npx tsc -b`');
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsactor-flavours-'));
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('compiles the fixture with legacy and with standard decorators, and both builds print the same', async () => {
    const legacyDir = path.join(dir, 'legacy');
    const standardDir = path.join(dir, 'standard');
    compile(legacyDir, true);
    compile(standardDir, false);
    const legacyJs = fs.readFileSync(path.join(legacyDir, 'flavour-actor.js'), 'utf8');
    const standardJs = fs.readFileSync(path.join(standardDir, 'flavour-actor.js'), 'utf8');
    // the two builds really use the two flavours
    expect(legacyJs).toContain('__decorate(');
    expect(legacyJs).toContain('__metadata("design:paramtypes"');
    expect(standardJs).toContain('__esDecorate(');
    expect(standardJs).not.toContain('__decorate(');

    const [legacy, standard] = await Promise.all([
      run(path.join(legacyDir, 'flavour-actor.js')),
      run(path.join(standardDir, 'flavour-actor.js')),
    ]);
    expect(legacy.stdout.trim().split('\n')).toEqual(expected);
    expect(standard.stdout).toBe(legacy.stdout);
    expect(legacy.stderr).toBe('');
    expect(standard.stderr).toBe('');
  });
});
