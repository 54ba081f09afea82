package tandem.filesync;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.filesync.HostilePathException.Problem;

/**
 * Random and hostile paths against RelPath and the Applier. After every path: nothing outside the
 * root was created or changed, and a refusal names a problem that really holds for that path.
 * Plain JUnit with a seeded Random (no property-testing dependency for one generator); the seed is
 * printed on failure and can be replayed with -Dtandem.fuzz.seed=N.
 */
class HostilePathFuzzTest {
  private static final String[] NORMAL = {"a", "b.txt", "é", "日本", "🎉", ".hidden", "...", "x y", "new\nline", "a\\b"};
  private static final String[] HOSTILE = {"..", ".", "", ".tandem-tmp-x", ".tandem-versions", "escape", "fileparent",
      "a\0b", "\ud800", "z".repeat(256), "é".repeat(128)};

  @TempDir Path tmp;

  @Test
  void nothingOutsideTheRootIsEverTouched() throws Exception {
    long seed = Long.getLong("tandem.fuzz.seed", System.nanoTime());
    try {
      run(new Random(seed), 3000);
    } catch (AssertionError | Exception e) {
      throw new AssertionError("fuzz failed with seed " + seed + " (replay: -Dtandem.fuzz.seed=" + seed + ")", e);
    }
  }

  private void run(Random random, int rounds) throws Exception {
    Path root = Files.createDirectory(tmp.resolve("root"));
    Path outside = Files.createDirectory(tmp.resolve("outside"));
    Files.writeString(outside.resolve("victim"), "do not touch");
    Files.createDirectory(outside.resolve("a"));
    Files.createSymbolicLink(root.resolve("escape"), outside);
    Files.writeString(root.resolve("fileparent"), "a file, not a dir");
    Map<String, String> before = snapshot(outside);
    List<String> siblings = list(tmp);
    Chunks chunks = new Chunks();
    Applier applier = new Applier(root, new MapBaseline(), ApplierOptions.of("n2"));
    Path realRoot = root.toRealPath();
    java.util.Set<Problem> seen = java.util.EnumSet.noneOf(Problem.class);
    int applied = 0;

    for (int i = 0; i < rounds; i++) {
      String path = randomPath(random);
      try {
        String ok = RelPath.check(path);
        assertAcceptable(realRoot, ok);
      } catch (HostilePathException e) {
        assertThat(e.problem()).as("problem of %s", RelPath.quote(path)).satisfies(p -> assertThat(holds(p, path, root)).isTrue());
        assertThat(e).hasMessageContaining(e.problem().text());
      }
      try {
        act(applier, chunks, random, path, outside);
        applied++;
      } catch (HostilePathException e) {
        seen.add(e.problem());
        assertThat(holds(e.problem(), path, root)).as("%s refused for %s", RelPath.quote(path), e.problem()).isTrue();
      } catch (IOException e) {
        // e.g. a file where a dir is needed for the *last* component's kind change: fine, nothing escaped
      }
      assertThat(snapshot(outside)).as("outside after %s", RelPath.quote(path)).isEqualTo(before);
      assertThat(list(tmp)).as("siblings of the root after %s", RelPath.quote(path)).isEqualTo(siblings);
    }
    // Not vacuous: the generator reached the applier with good paths and with every kind of bad one.
    assertThat(applied).isGreaterThan(rounds / 10);
    assertThat(seen).containsAll(java.util.EnumSet.complementOf(java.util.EnumSet.of(Problem.EMPTY)));
  }

  private static void act(Applier applier, Chunks chunks, Random random, String path, Path outside) throws Exception {
    switch (random.nextInt(4)) {
      case 0 -> applier.apply(Chunks.dir(path), chunks);
      case 1 -> applier.apply(Chunks.link(path, random.nextBoolean() ? outside.toString() : "../../.."), chunks);
      case 2 -> applier.delete(path);
      default -> applier.apply(chunks.file(path, ("content of " + path).getBytes(UTF_8)), chunks);
    }
  }

  private static String randomPath(Random r) {
    int n = 1 + r.nextInt(4);
    List<String> segs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      segs.add(r.nextInt(3) == 0 ? HOSTILE[r.nextInt(HOSTILE.length)] : NORMAL[r.nextInt(NORMAL.length)]);
    }
    String p = String.join("/", segs);
    return switch (r.nextInt(12)) {
      case 0 -> "/" + p;
      case 1 -> p + "/";
      case 2 -> (p + "/").repeat(1 + 4096 / (p.length() + 1)) + "x";
      case 3 -> "";
      default -> p;
    };
  }

  /** An accepted path resolves strictly inside the root, lexically. */
  private static void assertAcceptable(Path root, String ok) {
    assertThat(ok).doesNotStartWith("/").doesNotEndWith("/").doesNotContain("\0").doesNotContain("//");
    assertThat(Arrays.asList(ok.split("/"))).doesNotContain(".", "..");
    Path resolved = root.resolve(ok).normalize();
    assertThat(resolved.startsWith(root) && !resolved.equals(root)).as(ok).isTrue();
  }

  /** Whether {@code problem} really holds for {@code path}: an oracle written apart from RelPath. */
  private static boolean holds(Problem problem, String path, Path root) throws IOException {
    List<String> segs = Arrays.asList(path.split("/", -1));
    return switch (problem) {
      case EMPTY -> path.isEmpty();
      case ABSOLUTE -> path.startsWith("/");
      case TRAILING_SLASH -> path.endsWith("/");
      case EMPTY_SEGMENT -> path.contains("//");
      case DOT_SEGMENT -> segs.contains(".") || segs.contains("..");
      case NUL -> path.contains("\0");
      case BAD_UTF16 -> !new String(path.getBytes(UTF_8), UTF_8).equals(path);
      case SEGMENT_TOO_LONG -> segs.stream().anyMatch(s -> s.getBytes(UTF_8).length > 255);
      case PATH_TOO_LONG -> path.getBytes(UTF_8).length > 4096;
      case RESERVED -> segs.get(0).equals(".tandem-versions") || segs.stream().anyMatch(s -> s.startsWith(".tandem-tmp-"));
      case PARENT_NOT_DIRECTORY -> someParentIsNotADirectory(root, segs);
    };
  }

  private static boolean someParentIsNotADirectory(Path root, List<String> segs) {
    Path p = root;
    for (String s : segs.subList(0, segs.size() - 1)) {
      p = p.resolve(s);
      if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        return true;
      }
    }
    return false;
  }

  private static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> m = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.toList()) {
        String what = Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Files.readString(p) : "dir";
        m.put(dir.relativize(p) + "", what + "@" + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS));
      }
    }
    return m;
  }

  private static List<String> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
