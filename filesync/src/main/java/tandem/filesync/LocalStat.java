package tandem.filesync;

/**
 * What the local filesystem says about a path, enough to tell that a file changed without reading
 * it: a different inode, ctime, size or mtime means "hash it again".
 */
public record LocalStat(long inode, long ctimeNanos, long size, long mtimeNanos) {}
