// writeFileAtomic: the old file or the new one, never a torn one, and no temporary file left behind.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeFileAtomic } from '../../src/util/atomic_file';
import { tempDir } from '../helpers/fs';

describe('writeFileAtomic', () => {
  it('creates the directory, replaces an existing file whole, leaves nothing beside it', () => {
    const dir = join(tempDir(), 'a', 'b');
    const path = join(dir, 'state.json');
    writeFileAtomic(path, '{"v":1}\n');
    writeFileAtomic(path, '{"v":2}\n');
    assert.equal(readFileSync(path, 'utf8'), '{"v":2}\n');
    assert.deepEqual(readdirSync(dir), ['state.json']);
  });

  it('a write that cannot land throws, keeps the old file as it was and leaves no temporary file', () => {
    const dir = tempDir();
    const path = join(dir, 'state.json');
    mkdirSync(path); // a directory where the file should go: the rename fails
    writeFileSync(join(path, 'inside'), 'old');
    assert.throws(() => writeFileAtomic(path, 'new'), /EISDIR|ENOTEMPTY|EEXIST/);
    assert.deepEqual(readdirSync(dir), ['state.json']);
    assert.equal(readFileSync(join(path, 'inside'), 'utf8'), 'old');
  });
});
