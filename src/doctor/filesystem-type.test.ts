import { describe, expect, it } from 'vitest'
import { filesystemTypeOf, isNetworkFilesystem, parseMounts } from './filesystem-type.js'

const MOUNTS = [
  '/dev/sda1 / ext4 rw,relatime 0 0',
  'server:/export /var/lib nfs4 rw,vers=4.2 0 0',
  '/dev/sdb1 /var/lib/local ext4 rw 0 0',
  '//nas/share /mnt/my\\040share cifs rw 0 0',
].join('\n')

describe('the file system under a path', () => {
  const mounts = parseMounts(MOUNTS)

  it('is the longest mount point containing it', () => {
    expect(filesystemTypeOf('/var/lib/ferry/ferry.db', mounts)).toBe('nfs4')
    expect(filesystemTypeOf('/var/lib/local/ferry.db', mounts)).toBe('ext4')
    expect(filesystemTypeOf('/var/library/ferry.db', mounts)).toBe('ext4') // not under /var/lib
    expect(filesystemTypeOf('/home/x', mounts)).toBe('ext4')
  })

  it('decodes escaped spaces in mount points', () => {
    expect(filesystemTypeOf('/mnt/my share/ferry.db', mounts)).toBe('cifs')
  })

  it('knows network file systems from local ones', () => {
    expect(isNetworkFilesystem('nfs4')).toBe(true)
    expect(isNetworkFilesystem('cifs')).toBe(true)
    expect(isNetworkFilesystem('fuse.sshfs')).toBe(true)
    expect(isNetworkFilesystem('ext4')).toBe(false)
    expect(isNetworkFilesystem('overlay')).toBe(false)
  })
})
