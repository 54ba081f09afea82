package tandem.filesync;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What lstat(2) says about one path: its kind (null for a socket, fifo or device, which tandem
 * does not replicate) and the {@link LocalStat} that proves it unchanged. Never follows a link.
 */
record Lstat(Kind kind, LocalStat stat, int mode) {
  private static final String ATTRS = "unix:ino,ctime,size,lastModifiedTime,mode,isDirectory,isSymbolicLink,isRegularFile";

  /** The stat of {@code p}, or null when nothing is there. */
  static Lstat of(Path p) throws IOException {
    Map<String, Object> a;
    try {
      a = Files.readAttributes(p, ATTRS, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    }
    Kind kind = (Boolean) a.get("isRegularFile") ? Kind.FILE
        : (Boolean) a.get("isDirectory") ? Kind.DIR
        : (Boolean) a.get("isSymbolicLink") ? Kind.SYMLINK : null;
    LocalStat stat = new LocalStat((Long) a.get("ino"), nanos(a.get("ctime")), (Long) a.get("size"),
        nanos(a.get("lastModifiedTime")));
    return new Lstat(kind, stat, (Integer) a.get("mode") & 07777);
  }

  boolean is(Kind k) {
    return kind == k;
  }

  String describe() {
    return kind == null ? "a special file (socket, fifo or device)" : switch (kind) {
      case FILE -> "a file";
      case DIR -> "a directory";
      case SYMLINK -> "a symbolic link";
    };
  }

  private static long nanos(Object t) {
    return ((FileTime) t).to(TimeUnit.NANOSECONDS);
  }
}
