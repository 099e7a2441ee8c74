import { describe, expect, it } from 'vitest';
import { fileError, parseEntries } from '../../../agent/sandboxes/files';
import { resolveSandboxPath } from '../../../lib/api/files';

describe('sandbox file helpers', () => {
  it('names the failure by what the tool said', () => {
    expect(fileError('/x', "find: '/x': No such file or directory\n")).toMatchObject({ code: 'not_found', message: '/x: no such file or directory' });
    expect(fileError('/usr/y', "dd: failed to open '/usr/y': Read-only file system")).toMatchObject({ code: 'permission_denied' });
    expect(fileError('/h', "dd: error writing '/h': No space left on device")).toMatchObject({ code: 'disk_full' });
    expect(fileError('/d', "rm: cannot remove '/d': Is a directory")).toMatchObject({ code: 'invalid_argument' });
    expect(fileError('/q', 'something odd')).toMatchObject({ code: 'failed', message: '/q: something odd' });
  });

  it('parses find records, names with tabs and newlines included', () => {
    const out = `f\t12\t644\t1700000000.5\ta\tb\nc\0d\t4096\t755\t1700000001.0\tdir\0`;
    expect(parseEntries(out, '/home/user')).toEqual([
      { name: 'a\tb\nc', path: '/home/user/a\tb\nc', type: 'file', size: 12, mode: '644', modifiedAt: '2023-11-14T22:13:20.500Z' },
      { name: 'dir', path: '/home/user/dir', type: 'dir', size: 4096, mode: '755', modifiedAt: '2023-11-14T22:13:21.000Z' },
    ]);
  });

  it('resolves user paths inside the sandbox, never above /', () => {
    expect(resolveSandboxPath('notes/a.txt')).toBe('/home/user/notes/a.txt');
    expect(resolveSandboxPath('/tmp/./x/../y')).toBe('/tmp/y');
    expect(resolveSandboxPath('../../../../etc/shadow')).toBe('/etc/shadow');
    expect(resolveSandboxPath('.')).toBe('/home/user');
  });
});
