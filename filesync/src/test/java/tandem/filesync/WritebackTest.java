package tandem.filesync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WritebackTest {
  @TempDir Path dir;

  @Test
  void aFailedEarlySync_failsTheFile() throws Exception {
    FileChannel ch = FileChannel.open(dir.resolve("tmp"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    Writeback w = new Writeback(ch);
    ch.close(); // the early sync of a closed channel fails
    w.wrote(Writeback.EVERY);

    assertThatThrownBy(w::finish).isInstanceOf(IOException.class).hasMessageContaining("to disk failed");
  }

  @Test
  void earlySyncsWhileWriting_leaveTheContentAsWritten() throws Exception {
    Path f = dir.resolve("tmp");
    byte[] block = new byte[1 << 20];
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      Writeback w = new Writeback(ch);
      for (int i = 0; i < 3; i++) {
        java.util.Arrays.fill(block, (byte) i);
        ch.write(ByteBuffer.wrap(block));
        w.wrote(Writeback.EVERY); // as if 64 MiB each: every call may start a sync
      }
      w.finish();
    }
    byte[] all = Files.readAllBytes(f);
    assertThat(all).hasSize(3 << 20);
    assertThat(all[0]).isEqualTo((byte) 0);
    assertThat(all[(2 << 20) + 5]).isEqualTo((byte) 2);
  }
}
