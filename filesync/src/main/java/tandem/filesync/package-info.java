/**
 * Replication of a directory from a group's primary to its replicas (the {@code files} resource).
 *
 * <p>The parts, each small and tested on its own:
 *
 * <ul>
 *   <li>{@link tandem.filesync.RelPath}: every path from a peer is parsed and checked here before
 *       it touches the disk; {@code SafeTree} opens paths under the root without following links.
 *   <li>{@code Chunker}: content-defined chunks (FastCDC with normalized chunking), SHA-256 each.
 *   <li>{@code Index}: path to {@link tandem.filesync.FileEntry} plus the local stat that proves a
 *       file unchanged, and whether the version is known to every replica ("synced"); saved to
 *       disk; finds a chunk anywhere in the tree by hash.
 *   <li>{@code Scanner} and {@code Watcher}: a full or partial walk that updates the index, and a
 *       recursive inotify watch with a short coalescing window that says which paths to rescan.
 *   <li>{@code Applier}: makes one path on a replica what the primary says, atomically (temporary
 *       name, fsync, rename, directory fsync), keeping local changes as conflict copies and
 *       replaced files as versions.
 *   <li>{@code Sender} (on the primary) and {@code Receiver} (on a replica): the sync protocol over
 *       the agents' mutual-TLS gRPC channel, every message carrying the group's epoch.
 * </ul>
 */
package tandem.filesync;
