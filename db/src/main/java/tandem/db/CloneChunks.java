package tandem.db;

import com.google.protobuf.ByteString;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.locks.LockSupport;
import tandem.transport.proto.CloneChunk;

/**
 * An output stream that sends what is written to it as {@link CloneChunk}s of 256 KiB, waiting
 * while the receiver is not ready (so a slow replica slows the backup down instead of filling
 * the primary's memory), and failing once the receiver cancelled.
 */
final class CloneChunks extends OutputStream {
  private static final int CHUNK = 256 << 10;
  private final ServerCallStreamObserver<CloneChunk> call;
  private final byte[] buf = new byte[CHUNK];
  private int used;

  CloneChunks(ServerCallStreamObserver<CloneChunk> call) {
    this.call = call;
  }

  @Override
  public void write(int b) throws IOException {
    if (used == CHUNK) {
      send();
    }
    buf[used++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (used == CHUNK) {
        send();
      }
      int n = Math.min(len, CHUNK - used);
      System.arraycopy(b, off, buf, used, n);
      used += n;
      off += n;
      len -= n;
    }
  }

  @Override
  public void flush() throws IOException {
    send();
  }

  @Override
  public void close() throws IOException {
    send();
  }

  private void send() throws IOException {
    if (used == 0) {
      return;
    }
    while (!call.isReady()) {
      if (call.isCancelled()) {
        throw new IOException("the replica cancelled the copy");
      }
      LockSupport.parkNanos(1_000_000L);
    }
    call.onNext(CloneChunk.newBuilder().setData(ByteString.copyFrom(buf, 0, used)).build());
    used = 0;
  }
}
