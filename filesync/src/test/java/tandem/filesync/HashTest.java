package tandem.filesync;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HashTest {
  private final byte[] data = new byte[300_000];

  HashTest() {
    new Random(7).nextBytes(data);
  }

  @Test
  void aByteString_hashesLikeItsBytes_whateverItsShape() {
    Hash expected = Hash.of(data, 0, data.length);
    ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data).flip();
    ByteString rope = ByteString.copyFrom(data, 0, 1000).concat(ByteString.copyFrom(data, 1000, 150_000))
        .concat(UnsafeByteOperations.unsafeWrap(data, 151_000, data.length - 151_000));
    assertThat(Hash.of(ByteString.copyFrom(data))).isEqualTo(expected);
    assertThat(Hash.of(UnsafeByteOperations.unsafeWrap(direct))).isEqualTo(expected);
    assertThat(Hash.of(rope)).isEqualTo(expected);
    assertThat(direct.remaining()).as("the buffer wrapped is not consumed").isEqualTo(data.length);
  }

  @Test
  void aSliceOfAByteString_hashesLikeThatRangeOnly() {
    ByteString slice = UnsafeByteOperations.unsafeWrap(data).substring(1234, 71_234);
    assertThat(Hash.of(slice)).isEqualTo(Hash.of(data, 1234, 70_000));
    assertThat(Hash.of(slice)).isNotEqualTo(Hash.of(data, 1233, 70_000));
  }

  @Test
  void noBytes_hashLikeTheEmptyArray() {
    assertThat(Hash.of(ByteString.EMPTY)).isEqualTo(Hash.of(new byte[0], 0, 0));
  }
}
