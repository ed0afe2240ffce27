export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarHeader {
  /** The name as written in the archive, with the PAX path, GNU long name or ustar prefix applied. */
  name: string;
  type: TarEntryType;
  /** Permission bits including setuid, setgid and sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Bytes of data that follow the header (regular files only; 0 for the other types). */
  size: number;
  /** Modification time in seconds since the epoch; fractional when a PAX record says so. */
  mtime: number;
  /** Symlink target or hard link name. */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from PAX `SCHILY.xattr.<name>` records, as bytes (they are often binary). */
  xattrs: Map<string, Buffer>;
  /** Every PAX record in force for the entry (global ones included), as bytes. */
  pax: Map<string, Buffer>;
}

export interface TarEntry {
  header: TarHeader;
  /** Byte offset of the entry's first header block (extension headers included). */
  offset: number;
  /**
   * The entry's data, pulled from the archive as it is read (backpressure:
   * nothing is read ahead). Read it before asking for the next entry, or
   * leave it alone: the reader then skips it. It cannot be read afterwards.
   */
  body: AsyncIterable<Buffer>;
}

/**
 * What the writer needs: a name and type; everything else defaults (0, '', mode 0o644).
 * `pax` records are written through (atime, ctime, vendor keys), except those the writer
 * derives from the fields; a PAX `mtime` that agrees with `mtime` keeps its exact text, so a
 * header read and written again keeps nanoseconds a number cannot hold.
 */
export type WriteHeader = Pick<TarHeader, 'name' | 'type'> & Partial<Omit<TarHeader, 'name' | 'type'>>;
