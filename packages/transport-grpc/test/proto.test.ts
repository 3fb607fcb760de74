/**
 * The .proto that @tsactor/transport-grpc ships (and loads) is the wire format of the
 * repository, protos/tsactor.proto, byte for byte: the package carries a copy so that it
 * works once installed, and the copy must not drift from the contract.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROTO_FILE } from '../src/service';

const PACKAGE_DIR = path.join(__dirname, '..');
const REPOSITORY_PROTO = path.join(PACKAGE_DIR, '..', '..', 'protos', 'tsactor.proto');

describe('the shipped tsactor.proto', () => {
  test('is loaded from inside the package', () => {
    expect(path.relative(PACKAGE_DIR, PROTO_FILE)).toBe(path.join('proto', 'tsactor.proto'));
    const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('proto');
  });

  test('is identical to protos/tsactor.proto', () => {
    const shipped = fs.readFileSync(PROTO_FILE, 'utf8');
    const contract = fs.readFileSync(REPOSITORY_PROTO, 'utf8');
    if (shipped !== contract) {
      throw new Error(
        `${path.relative(process.cwd(), PROTO_FILE)} differs from ${path.relative(process.cwd(), REPOSITORY_PROTO)}; ` +
          `the repository's protos/tsactor.proto is the wire format: copy it over the package's copy`,
      );
    }
    expect(shipped).toContain('service Transport');
  });
});
