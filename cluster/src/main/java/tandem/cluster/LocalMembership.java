package tandem.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * What a node keeps on its own disk about the cluster it belongs to (data-dir/cluster.json): the
 * cluster's name and generation and the members it knew at join or last start, so it can find
 * its peers and pin their certificates before consensus is running.
 *
 * @param cluster the cluster's name
 * @param generation the voting generation (grows at a forced failover)
 * @param members the members known to this node
 * @param voters the names of the voting members
 */
public record LocalMembership(String cluster, long generation, List<Member> members, List<String> voters) {
  public static final String FILE = "cluster.json";

  public LocalMembership {
    members = List.copyOf(members);
    voters = List.copyOf(voters);
  }

  /** Reads data-dir/cluster.json, or returns null when this node has not joined a cluster yet. */
  public static LocalMembership read(Path dataDir) throws IOException {
    Path f = dataDir.resolve(FILE);
    if (!Files.exists(f)) {
      return null;
    }
    try {
      return ClusterCodec.decode(Files.readAllBytes(f), LocalMembership.class);
    } catch (IOException e) {
      throw new IOException(f + " is damaged (" + e.getMessage() + "); restore it from another member's copy or re-join", e);
    }
  }

  /** Writes atomically (temp file, fsync, rename). */
  public void write(Path dataDir) throws IOException {
    Files.createDirectories(dataDir);
    Path tmp = dataDir.resolve(FILE + ".tmp");
    Files.write(tmp, ClusterCodec.encode(this));
    try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(tmp, dataDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** The membership as recorded in an agreed state. */
  public static LocalMembership of(ClusterState s) {
    return new LocalMembership(s.cluster(), s.generation(), List.copyOf(s.members().values()), s.voters());
  }
}
