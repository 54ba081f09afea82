package tandem.backup;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** The JSON objects of the repository format (see docs/backup-format.md). */
public final class Model {
  private Model() {}

  /** {@code config}: plain JSON, the only object that is not encrypted. */
  public record Config(@JsonProperty("version") int version, @JsonProperty("id") String id,
      @JsonProperty("chunker") String chunker) {}

  /** One blob in an index: which pack holds it, where, and whether it is file data or a tree. */
  public record IndexBlob(@JsonProperty("id") String id, @JsonProperty("type") String type, @JsonProperty("offset") long offset,
      @JsonProperty("length") int length) {}

  public record IndexPack(@JsonProperty("pack") String pack, @JsonProperty("blobs") List<IndexBlob> blobs) {}

  /** {@code index/<name>}: sealed, the blobs of some packs. */
  public record IndexFile(@JsonProperty("packs") List<IndexPack> packs) {}

  /**
   * One entry of a directory. {@code inode} and {@code ctimeNanos} (files only, absent in trees
   * written before they existed) let the next backup reuse the entry without reading the file.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Node(@JsonProperty("name") String name, @JsonProperty("type") String type, @JsonProperty("mode") int mode,
      @JsonProperty("mtime_ns") long mtimeNanos, @JsonProperty("size") long size, @JsonProperty("target") String target,
      @JsonProperty("content") List<String> content, @JsonProperty("subtree") String subtree,
      @JsonProperty("inode") Long inode, @JsonProperty("ctime_ns") Long ctimeNanos) {

    public Node(String name, String type, int mode, long mtimeNanos, long size, String target, List<String> content, String subtree) {
      this(name, type, mode, mtimeNanos, size, target, content, subtree, null, null);
    }
  }

  /** A directory: its entries sorted by name. Stored as a blob of type "tree". */
  public record Tree(@JsonProperty("nodes") List<Node> nodes) {}

  /** What one backup took from one place. */
  public record Source(@JsonProperty("group") String group, @JsonProperty("kind") String kind, @JsonProperty("path") String path,
      @JsonProperty("tree") String tree) {}

  /** {@code snapshots/<name>}: sealed. */
  public record Snapshot(@JsonProperty("version") int version, @JsonProperty("time") String time,
      @JsonProperty("host") String host, @JsonProperty("backup") String backup, @JsonProperty("sources") List<Source> sources,
      @JsonProperty("files") long files, @JsonProperty("bytes") long bytes) {}

  /** {@code locks/<name>}: plain JSON. */
  public record Lock(@JsonProperty("host") String host, @JsonProperty("pid") long pid, @JsonProperty("time") String time,
      @JsonProperty("exclusive") boolean exclusive, @JsonProperty("purpose") String purpose) {}
}
