package tandem.filesync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkerTest {
  @TempDir Path dir;

  @Test
  void gearTableIsPinned_becauseEveryNodeMustCutIdentically() {
    // If this fails, the chunk format changed: chunks stop matching between versions.
    assertThat(Chunker.GEAR_SEED).isEqualTo(0x74616e64656d4344L);
    assertThat(Chunker.GEAR[0]).isEqualTo(GEAR_0);
    assertThat(Chunker.GEAR[255]).isEqualTo(GEAR_255);
    assertThat(new HashSet<>(List.of(box(Chunker.GEAR)))).hasSize(256);
  }

  @Test
  void cutPointsArePinned_forAFixedPseudoRandomInput() throws IOException {
    byte[] data = random(4 * 1024 * 1024, 42);
    List<Integer> lengths = new ArrayList<>();
    Chunker.chunk(channel(data), (offset, length, hash) -> lengths.add(length));
    assertThat(lengths.subList(0, 4)).containsExactly(FIRST_CUTS);
  }

  @Test
  void chunkBytes_cutsWhereChunkCuts_andGivesTheBytes() throws IOException {
    byte[] data = random(9 * 1024 * 1024 + 123, 7);
    List<long[]> hashed = new ArrayList<>();
    Chunker.chunk(Channels.newChannel(new java.io.ByteArrayInputStream(data)), (offset, length, hash) -> hashed.add(new long[] {offset, length}));
    List<long[]> plain = new ArrayList<>();
    java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
    Chunker.chunkBytes(Channels.newChannel(new java.io.ByteArrayInputStream(data)), (offset, buf, start, length) -> {
      plain.add(new long[] {offset, length});
      joined.write(buf, start, length);
    });
    assertThat(plain).usingElementComparator((a, b) -> java.util.Arrays.equals(a, b) ? 0 : 1).isEqualTo(hashed);
    assertThat(joined.toByteArray()).isEqualTo(data);
  }

  @Test
  void sameContent_sameChunks_whateverTheReadSizes() throws IOException {
    byte[] data = random(3 * 1024 * 1024 + 12345, 1);
    List<ChunkRef> whole = collect(channel(data));
    // A channel that returns at most 1000 bytes per read must give the same chunks.
    List<ChunkRef> trickled = collect(trickle(data, 1000));
    assertThat(trickled).isEqualTo(whole);
    assertThat(whole.size()).isBetween(3 * 1024 * 1024 / Chunker.MAX_SIZE, 3 * 1024 * 1024 / Chunker.MIN_SIZE);
  }

  @Test
  void insertInTheMiddle_changesOnlyOneOrTwoChunks() throws IOException {
    byte[] data = random(32 * 1024 * 1024, 7);
    byte[] edited = new byte[data.length + 100];
    int at = data.length / 2;
    System.arraycopy(data, 0, edited, 0, at);
    System.arraycopy(random(100, 8), 0, edited, at, 100);
    System.arraycopy(data, at, edited, at + 100, data.length - at);

    Set<Hash> before = hashes(collect(channel(data)));
    List<ChunkRef> after = collect(channel(edited));
    long changed = after.stream().filter(c -> !before.contains(c.hash())).count();

    assertThat(changed).isBetween(1L, 2L);
    assertThat(after.size()).isGreaterThan(100);
  }

  @Test
  void boundariesRespectMinAndMax_lengthsAddUp_hashesVerify() throws IOException {
    byte[] data = random(8 * 1024 * 1024 + 5, 3);
    // A long run of zeros never satisfies the cut condition, so max must be forced.
    java.util.Arrays.fill(data, 1024 * 1024, 2 * 1024 * 1024, (byte) 0);
    List<long[]> chunks = new ArrayList<>();
    List<Hash> hashes = new ArrayList<>();
    long total = Chunker.chunk(channel(data), (offset, length, hash) -> {
      chunks.add(new long[] {offset, length});
      hashes.add(hash);
    });

    assertThat(total).isEqualTo(data.length);
    long expectedOffset = 0;
    for (int i = 0; i < chunks.size(); i++) {
      long offset = chunks.get(i)[0];
      int length = (int) chunks.get(i)[1];
      assertThat(offset).isEqualTo(expectedOffset);
      assertThat(length).isLessThanOrEqualTo(Chunker.MAX_SIZE);
      if (i < chunks.size() - 1) {
        assertThat(length).isGreaterThanOrEqualTo(Chunker.MIN_SIZE);
      }
      assertThat(hashes.get(i)).isEqualTo(Hash.of(data, (int) offset, length));
      expectedOffset += length;
    }
    assertThat(expectedOffset).isEqualTo(data.length);
    assertThat(chunks.stream().filter(c -> c[1] == Chunker.MAX_SIZE).count()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void smallFileIsOneChunk_emptyFileHasNone() throws IOException {
    Path small = Files.write(dir.resolve("small"), random(Chunker.MIN_SIZE - 1, 5));
    Path exact = Files.write(dir.resolve("exact"), random(Chunker.MIN_SIZE, 5));
    Path empty = Files.write(dir.resolve("empty"), new byte[0]);

    assertThat(Chunker.chunk(small)).singleElement().satisfies(c -> {
      assertThat(c.length()).isEqualTo(Chunker.MIN_SIZE - 1);
      assertThat(c.hash()).isEqualTo(Hash.of(Files.readAllBytes(small), 0, Chunker.MIN_SIZE - 1));
    });
    assertThat(Chunker.chunk(exact)).hasSize(1);
    assertThat(Chunker.chunk(empty)).isEmpty();
  }

  @Test
  void pipelinedFileChunking_matchesSequential_andStopsOnConsumerFailure() throws IOException {
    byte[] data = random((int) Chunker.PIPELINE_MIN_BYTES + 3 * 1024 * 1024 + 17, 13);
    Path file = Files.write(dir.resolve("big"), data);
    assertThat(Chunker.chunk(file)).isEqualTo(collect(channel(data)));

    int[] seen = new int[1];
    try (var in = java.nio.channels.FileChannel.open(file)) {
      assertThatThrownBy(() -> Chunker.chunk(in, (offset, length, hash) -> {
        if (++seen[0] == 5) {
          throw new IOException("consumer gave up");
        }
      })).hasMessage("consumer gave up");
      assertThat(in.isOpen()).isTrue();
    }
  }

  @Test
  void chunkOfPath_matchesChunkOfChannel() throws IOException {
    byte[] data = random(1024 * 1024, 11);
    Path file = Files.write(dir.resolve("f"), data);
    assertThat(Chunker.chunk(file)).isEqualTo(collect(channel(data)));
  }

  @Test
  void cut_equalsTheByteByByteDefinition_atOddAndEvenCutsAndLengths() {
    Random rnd = new Random(5);
    // Random bytes, and zeros, whose hash never reaches a cut (forced cuts at MAX_SIZE).
    byte[] random = random(4 * Chunker.MAX_SIZE, 6);
    byte[] zeros = new byte[4 * Chunker.MAX_SIZE];
    int odd = 0;
    int even = 0;
    int forced = 0;
    for (int round = 0; round < 900; round++) {
      byte[] buf = round % 3 == 0 ? zeros : random;
      int start = rnd.nextInt(buf.length - Chunker.MIN_SIZE);
      int end = start + 1 + rnd.nextInt(buf.length - start);
      int expected = byteByByte(buf, start, end);
      assertThat(Chunker.cut(buf, start, end)).as("round %d, start %d, end %d", round, start, end).isEqualTo(expected);
      if (expected == Math.min(end - start, Chunker.MAX_SIZE)) {
        forced++;
      } else if (expected % 2 == 1) {
        odd++;
      } else {
        even++;
      }
    }
    assertThat(odd).as("cuts after an odd number of bytes").isGreaterThan(100);
    assertThat(even).as("cuts after an even number of bytes").isGreaterThan(100);
    assertThat(forced).as("chunks cut at the end or at MAX_SIZE").isGreaterThan(100);
  }

  /** The cut as the format defines it (docs and FastCDC): one byte at a time. */
  private static int byteByByte(byte[] buf, int start, int end) {
    int n = Math.min(end - start, Chunker.MAX_SIZE);
    if (n <= Chunker.MIN_SIZE) {
      return n;
    }
    long fp = 0;
    for (int i = Chunker.MIN_SIZE; i < n; i++) {
      fp = (fp << 1) + Chunker.GEAR[buf[start + i] & 0xff];
      if ((fp & (i < Math.min(n, Chunker.AVG_SIZE) ? Chunker.MASK_S : Chunker.MASK_L)) == 0) {
        return i + 1;
      }
    }
    return n;
  }

  // Values taken from the first implementation; they pin the format (see gearTable javadoc).
  static final long GEAR_0 = 0x63574422f5091d92L;
  static final long GEAR_255 = 0x102f74ea545b1a5cL;
  static final Integer[] FIRST_CUTS = {69423, 66151, 91397, 66876};

  static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  static ReadableByteChannel channel(byte[] data) {
    return Channels.newChannel(new java.io.ByteArrayInputStream(data));
  }

  static ReadableByteChannel trickle(byte[] data, int maxRead) {
    return Channels.newChannel(new java.io.ByteArrayInputStream(data) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, maxRead));
      }
    });
  }

  static List<ChunkRef> collect(ReadableByteChannel in) throws IOException {
    List<ChunkRef> out = new ArrayList<>();
    Chunker.chunk(in, (offset, length, hash) -> out.add(new ChunkRef(hash, length)));
    return out;
  }

  static Set<Hash> hashes(List<ChunkRef> chunks) {
    Set<Hash> set = new HashSet<>();
    chunks.forEach(c -> set.add(c.hash()));
    return set;
  }

  static Long[] box(long[] a) {
    Long[] out = new Long[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i];
    }
    return out;
  }
}
