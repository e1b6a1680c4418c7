/**
 * Files named on the command line. Failures carry their own stable codes
 * (FILE_NOT_READABLE, FILE_NOT_WRITABLE in errors/registry.ts) so scripts can tell a
 * missing CSR file from a rejected request.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { TesseraError } from '../../errors/TesseraError.js';

/**
 * Inputs are small (CSRs, template JSON). The cap only keeps a wrong path (a disk image)
 * out of memory; anything below it reaches the use case, which records and judges it.
 */
const MAX_INPUT = 16 * 1024 * 1024;

export async function readInputFile(path: string): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (e) {
    throw new TesseraError(
      'FILE_NOT_READABLE',
      `${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  if (data.length > MAX_INPUT) throw new TesseraError('FILE_NOT_READABLE', `${path} is larger than ${MAX_INPUT} bytes`);
  return data;
}

export async function writeOutputFile(path: string, data: string | Uint8Array): Promise<void> {
  try {
    await writeFile(path, data);
  } catch (e) {
    throw new TesseraError(
      'FILE_NOT_WRITABLE',
      `${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}
