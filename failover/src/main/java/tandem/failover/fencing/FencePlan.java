package tandem.failover.fencing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tandem.resource.FenceStep;

/** The shell steps that stop one group on this node, encoded for the watchdog's pipe. */
record FencePlan(List<FenceStep> steps) {

  String encode() {
    var bytes = new ByteArrayOutputStream();
    try (var out = new DataOutputStream(bytes)) {
      out.writeInt(steps.size());
      for (FenceStep s : steps) {
        out.writeUTF(s.command());
        out.writeLong(s.timeoutMillis());
        out.writeInt(s.env().size());
        for (var e : s.env().entrySet()) {
          out.writeUTF(e.getKey());
          out.writeUTF(e.getValue());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Base64.getEncoder().encodeToString(bytes.toByteArray());
  }

  static FencePlan decode(String text) throws IOException {
    try (var in = new DataInputStream(new ByteArrayInputStream(Base64.getDecoder().decode(text)))) {
      int n = in.readInt();
      List<FenceStep> steps = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String cmd = in.readUTF();
        long timeout = in.readLong();
        int envs = in.readInt();
        Map<String, String> env = new LinkedHashMap<>();
        for (int j = 0; j < envs; j++) {
          env.put(in.readUTF(), in.readUTF());
        }
        steps.add(new FenceStep(cmd, env, timeout));
      }
      return new FencePlan(steps);
    } catch (IllegalArgumentException e) {
      throw new IOException("bad fence plan: " + e.getMessage(), e);
    }
  }
}
