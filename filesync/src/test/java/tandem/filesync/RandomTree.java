package tandem.filesync;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/** Test helper: builds and mutates a random tree of files, directories and symlinks under a root. */
final class RandomTree {
  private static final String[] MODES = {"rw-r--r--", "rw-------", "rwxr-xr-x", "rw-rw-r--"};
  private final Path root;
  private final Random rnd;
  private int counter;

  RandomTree(Path root, Random rnd) {
    this.root = root;
    this.rnd = rnd;
  }

  void populate(int entries) {
    for (int i = 0; i < entries; i++) {
      create();
    }
  }

  /** Applies {@code n} random operations: create, modify, append, truncate, delete, rename, chmod, touch, mkdir, rmdir, symlink. */
  void mutate(int n) {
    for (int i = 0; i < n; i++) {
      try {
        switch (rnd.nextInt(11)) {
          case 0 -> create();
          case 1 -> randomFile().ifPresentOrElse(this::overwrite, this::create);
          case 2 -> randomFile().ifPresent(f -> write(f, bytes(rnd.nextInt(5000)), StandardOpenOption.APPEND));
          case 3 -> randomFile().ifPresent(f -> truncate(f, rnd.nextInt(100)));
          case 4 -> randomFile().ifPresent(this::delete);
          case 5 -> randomFile().ifPresent(f -> move(f, dir().resolve("moved-" + counter++)));
          case 6 -> randomFile().ifPresent(f -> chmod(f, MODES[rnd.nextInt(MODES.length)]));
          case 7 -> randomFile().ifPresent(f -> touch(f));
          case 8 -> mkdirs(dir().resolve("d" + counter++));
          case 9 -> randomDir().ifPresent(this::deleteTree);
          default -> symlink();
        }
      } catch (UncheckedIOException e) {
        // A concurrent rename made the pick vanish; the next operation goes on.
      }
    }
  }

  private void create() {
    int kind = rnd.nextInt(10);
    Path dir = dir();
    if (kind == 0) {
      mkdirs(dir.resolve("d" + counter++));
    } else if (kind == 1) {
      symlink();
    } else {
      Path f = dir.resolve("f" + counter++ + (rnd.nextBoolean() ? ".txt" : ".bin"));
      write(f, bytes(rnd.nextInt(10) == 0 ? rnd.nextInt(300_000) : rnd.nextInt(20_000)), StandardOpenOption.CREATE_NEW);
    }
  }

  private void symlink() {
    Path link = dir().resolve("l" + counter++);
    String target = rnd.nextBoolean() ? "../somewhere/" + counter : "/etc/hostname";
    try {
      Files.createSymbolicLink(link, Path.of(target));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path dir() {
    List<Path> dirs = list(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS));
    return dirs.get(rnd.nextInt(dirs.size()));
  }

  private java.util.Optional<Path> randomFile() {
    List<Path> files = list(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS));
    return files.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(files.get(rnd.nextInt(files.size())));
  }

  private java.util.Optional<Path> randomDir() {
    List<Path> dirs = list(p -> !p.equals(root) && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS));
    return dirs.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(dirs.get(rnd.nextInt(dirs.size())));
  }

  private List<Path> list(java.util.function.Predicate<Path> filter) {
    try (Stream<Path> all = Files.walk(root)) {
      return new ArrayList<>(all.filter(filter).sorted().toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    return b;
  }

  private void overwrite(Path f) {
    write(f, bytes(rnd.nextInt(20_000)), StandardOpenOption.TRUNCATE_EXISTING);
  }

  private static void write(Path f, byte[] data, StandardOpenOption option) {
    try {
      Files.write(f, data, option, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void truncate(Path f, int size) {
    try (var ch = Files.newByteChannel(f, StandardOpenOption.WRITE)) {
      ch.truncate(Math.min(size, ch.size()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void delete(Path f) {
    try {
      Files.deleteIfExists(f);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void deleteTree(Path d) {
    try (Stream<Path> all = Files.walk(d)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void move(Path from, Path to) {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void chmod(Path f, String mode) {
    try {
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void touch(Path f) {
    try {
      Files.setLastModifiedTime(f, FileTime.fromMillis(1_600_000_000_000L + rnd.nextInt(1_000_000) * 1000L));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void mkdirs(Path d) {
    try {
      Files.createDirectories(d);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
