package tandem.filesync;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import tandem.transport.proto.SyncUp;

/**
 * The replica's parser of the primary's messages: the bytes of a message are read once into an
 * array of their own, and the chunk and inline data in it are views of that array, not copies.
 * gRPC's own parser copies a message into a scratch buffer it reuses and then copies every bytes
 * field out of it again; for 1 GiB of chunks that second copy is 1 GiB more memory traffic and
 * garbage (bench/RESULTS.md, files run 5).
 *
 * <p>Safe because nothing writes to the array after the parse: it is private to the message, and
 * ByteStrings are read-only. The checks are protobuf's (and gRPC's message size limit, applied
 * before this parser runs); a malformed message fails the call as gRPC's parser would.
 */
final class SyncUpParser implements MethodDescriptor.Marshaller<SyncUp> {
  private final MethodDescriptor.Marshaller<SyncUp> plain;

  SyncUpParser(MethodDescriptor.Marshaller<SyncUp> plain) {
    this.plain = plain;
  }

  @Override
  public InputStream stream(SyncUp value) {
    return plain.stream(value);
  }

  @Override
  public SyncUp parse(InputStream in) {
    if (!(in instanceof KnownLength)) {
      return plain.parse(in);
    }
    try {
      int size = in.available();
      byte[] message = in.readNBytes(size);
      if (message.length != size || in.read() != -1) {
        throw new IOException("the message is not the " + size + " bytes announced");
      }
      // A LiteralByteString's reader is allowed to alias its (immutable) array.
      CodedInputStream reader = UnsafeByteOperations.unsafeWrap(message).newCodedInput();
      reader.enableAliasing(true);
      SyncUp m = SyncUp.parseFrom(reader);
      reader.checkLastTagWas(0);
      return m;
    } catch (IOException e) {
      throw Status.INTERNAL.withDescription("Invalid protobuf byte sequence").withCause(e).asRuntimeException();
    }
  }
}
