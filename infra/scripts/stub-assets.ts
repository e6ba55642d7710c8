/**
 * Writes stub Lambda code, `<dir>/<binary>/bootstrap.zip` for each binary in contract/functions.json, so
 * the app synthesizes without building Rust. Each zip holds one executable `bootstrap` that exits 1: a
 * stub never pretends to work.
 *
 *   node --import tsx scripts/stub-assets.ts DIR
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { LAMBDA_BINARIES } from '../lib/function-contract';

export function writeStubAssets(dir: string): string {
  for (const binary of LAMBDA_BINARIES) {
    const target = path.join(dir, binary, 'bootstrap.zip');
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const script = `#!/bin/sh\necho "stub ${binary}: build the real code with npm --prefix infra run build:lambdas" >&2\nexit 1\n`;
    fs.writeFileSync(target, zipOneFile('bootstrap', Buffer.from(script), 0o100755));
  }
  return dir;
}

/** A zip archive (stored, not deflated) holding one file. */
function zipOneFile(name: string, data: Buffer, mode: number): Buffer {
  const nameBytes = Buffer.from(name);
  const crc = zlib.crc32(data);
  const dosTime = 0;
  const dosDate = (1 << 5) | 1; // 1980-01-01: the zip is the same on every run

  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(0, 6);
  local.writeUInt16LE(0, 8);
  local.writeUInt16LE(dosTime, 10);
  local.writeUInt16LE(dosDate, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  local.writeUInt16LE(0, 28);

  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the external attributes carry the mode
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0, 8);
  central.writeUInt16LE(0, 10);
  central.writeUInt16LE(dosTime, 12);
  central.writeUInt16LE(dosDate, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt16LE(0, 30);
  central.writeUInt16LE(0, 32);
  central.writeUInt16LE(0, 34);
  central.writeUInt16LE(0, 36);
  central.writeUInt32LE((mode << 16) >>> 0, 38);
  central.writeUInt32LE(0, 42);

  const localSize = local.length + nameBytes.length + data.length;
  const centralSize = central.length + nameBytes.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(localSize, 16);

  return Buffer.concat([local, nameBytes, data, central, nameBytes, end]);
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node --import tsx scripts/stub-assets.ts DIR');
    process.exit(2);
  }
  writeStubAssets(path.resolve(dir));
  console.log(`stub Lambda code in ${path.resolve(dir)}`);
}
