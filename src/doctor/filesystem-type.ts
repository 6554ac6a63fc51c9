import { readFileSync, realpathSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * File systems on which SQLite's locking is not to be trusted: the SQLite documentation warns
 * that POSIX advisory locks are broken or missing on many network file systems, which corrupts
 * a database written by more than one client (https://www.sqlite.org/howtocorrupt.html §2.1).
 */
const NETWORK_FILESYSTEMS = new Set([
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  'smbfs',
  '9p',
  'afs',
  'ceph',
  'glusterfs',
  'fuse.sshfs',
  'fuse.glusterfs',
  'fuse.s3fs',
  'fuse.gcsfuse',
  'fuse.rclone',
  'fuse.juicefs',
  'lustre',
  'davfs',
])

export function isNetworkFilesystem(type: string): boolean {
  return NETWORK_FILESYSTEMS.has(type)
}

/** `/proc/mounts` text → mount points with their types (octal escapes such as `\040` decoded). */
export function parseMounts(text: string): { mountPoint: string; type: string }[] {
  return text
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => fields.length >= 3)
    .map(([, mountPoint, type]) => ({
      mountPoint: mountPoint!.replace(/\\([0-7]{3})/g, (_, octal: string) =>
        String.fromCharCode(parseInt(octal, 8)),
      ),
      type: type!,
    }))
}

/** The type of the file system holding `path`: the longest mount point that contains it. */
export function filesystemTypeOf(path: string, mounts: { mountPoint: string; type: string }[]) {
  let best: { mountPoint: string; type: string } | undefined
  for (const mount of mounts) {
    const prefix = mount.mountPoint.endsWith('/') ? mount.mountPoint : `${mount.mountPoint}/`
    const contains = path === mount.mountPoint || path.startsWith(prefix)
    if (contains && (!best || mount.mountPoint.length > best.mountPoint.length)) best = mount
  }
  return best?.type
}

/**
 * The file system type of an existing file or of the nearest existing parent directory, from
 * /proc/mounts (Linux). Undefined where that cannot be read (macOS, a sandbox): unknown, not safe.
 */
export function readFilesystemType(path: string): string | undefined {
  let mounts: { mountPoint: string; type: string }[]
  try {
    mounts = parseMounts(readFileSync('/proc/mounts', 'utf8'))
  } catch {
    return undefined
  }
  let current = path
  for (;;) {
    try {
      return filesystemTypeOf(realpathSync(current), mounts)
    } catch {
      const parent = dirname(current)
      if (parent === current) return undefined
      current = parent
    }
  }
}
