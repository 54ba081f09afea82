package tandem.filesync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tandem.transport.proto.FileSyncGrpc;
import tandem.transport.proto.SyncChunks;
import tandem.transport.proto.SyncUp;

class SyncUpParserTest {
  private final MethodDescriptor.Marshaller<SyncUp> plain = FileSyncGrpc.getSyncMethod().getRequestMarshaller();
  private final SyncUpParser parser = new SyncUpParser(plain);

  /** A stream that knows its length, as gRPC hands a received message to a parser. */
  private static class Received extends ByteArrayInputStream implements KnownLength {
    Received(byte[] bytes) {
      super(bytes);
    }
  }

  private static SyncUp chunks() {
    Random rnd = new Random(3);
    SyncChunks.Builder b = SyncChunks.newBuilder().setEpoch(7).setRequest(42);
    for (int size : new int[] {1, 65_536, 262_144, 17}) {
      byte[] d = new byte[size];
      rnd.nextBytes(d);
      b.addData(ByteString.copyFrom(d));
    }
    return SyncUp.newBuilder().setChunks(b).build();
  }

  @Test
  void aReceivedMessage_parsesToTheMessageSent() throws IOException {
    SyncUp sent = chunks();
    SyncUp got = parser.parse(new Received(plain.stream(sent).readAllBytes()));
    assertThat(got).isEqualTo(sent);
    assertThat(Hash.of(got.getChunks().getData(2))).isEqualTo(Hash.of(sent.getChunks().getData(2)));
  }

  @Test
  void whatTheParserSends_isWhatGrpcSends() throws IOException {
    SyncUp sent = chunks();
    assertThat(parser.stream(sent).readAllBytes()).isEqualTo(plain.stream(sent).readAllBytes());
  }

  @Test
  void aStreamOfUnknownLength_isParsedByGrpcsOwnParser() throws IOException {
    SyncUp sent = chunks();
    InputStream unknown = new ByteArrayInputStream(plain.stream(sent).readAllBytes());
    assertThat(parser.parse(unknown)).isEqualTo(sent);
  }

  @Test
  void garbage_failsTheCallAsInternal() {
    byte[] junk = new byte[1000];
    Arrays.fill(junk, (byte) 0xff);
    assertThatThrownBy(() -> parser.parse(new Received(junk))).isInstanceOf(StatusRuntimeException.class)
        .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode()).isEqualTo(Status.Code.INTERNAL));
  }

  @Test
  void aTruncatedMessage_failsTheCallAsInternal() throws IOException {
    byte[] whole = plain.stream(chunks()).readAllBytes();
    byte[] cut = Arrays.copyOf(whole, whole.length - 100);
    assertThatThrownBy(() -> parser.parse(new Received(cut))).isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("Invalid protobuf byte sequence");
  }

  @Test
  void aStreamShorterThanItAnnounced_failsTheCallAsInternal() throws IOException {
    byte[] whole = plain.stream(chunks()).readAllBytes();
    InputStream liar = new Received(whole) {
      @Override
      public synchronized int available() {
        return whole.length + 10;
      }
    };
    assertThatThrownBy(() -> parser.parse(liar)).isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("Invalid protobuf byte sequence");
  }
}
