package tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "sync", description = "File replication.", subcommands = SyncCommand.Status.class)
final class SyncCommand {

  @Command(name = "status", description = "Per replica of each replicated directory: files and bytes in sync, behind"
      + " (count, bytes, seconds) and the current rate; a progress bar while an initial sync runs on a terminal.")
  static final class Status implements Callable<Integer> {
    private static final long REFRESH_MILLIS = 500;
    @Mixin ConfigOption config;
    @Parameters(arity = "0..1", paramLabel = "GROUP", description = "only this group") String group;
    @Option(names = "--json", description = "print the replicated directories as JSON") boolean json;
    @Option(names = "--no-follow", description = "on a terminal, print once even while an initial sync runs")
    boolean noFollow;

    @Override
    public Integer call() throws Exception {
      ApiClient api = new ApiClient(config.load());
      boolean live = System.console() != null && !json && !noFollow;
      while (true) {
        ArrayNode files = gather(api);
        if (json) {
          System.out.println(ApiClient.json().writerWithDefaultPrettyPrinter().writeValueAsString(files));
          return 0;
        }
        String text = render(files, live);
        if (!live || !initialSyncRunning(files)) {
          System.out.print(text);
          return files.isEmpty() ? 1 : 0;
        }
        System.out.print("\033[H\033[2J" + text + "(refreshing every 0.5 s until the initial sync is done; Ctrl-C to stop)\n");
        System.out.flush();
        Thread.sleep(REFRESH_MILLIS);
      }
    }

    /**
     * The replicated directories of this node; for those it does not send itself, the primary's
     * view (which lists every replica), asked from the primary's API.
     */
    private ArrayNode gather(ApiClient api) {
      JsonNode local = api.get("/api/v1/status");
      ArrayNode out = ApiClient.json().createArrayNode();
      for (JsonNode f : local.path("files")) {
        if (group != null && !group.equals(f.path("group").asText())) {
          continue;
        }
        if (f.path("sending").asBoolean()) {
          out.add(f);
          continue;
        }
        String[] why = new String[1];
        JsonNode fromPrimary = fromPrimary(api, local, f, why);
        out.add(fromPrimary != null ? fromPrimary : ((com.fasterxml.jackson.databind.node.ObjectNode) f.deepCopy())
            .put("primaryView", why[0] == null ? "not reachable" : why[0]));
      }
      if (out.isEmpty()) {
        System.err.println(group == null ? "this node has no files resources" : "this node has no files resource in group " + group);
      }
      return out;
    }

    /** The primary's view of this directory, or null with {@code why[0]} saying why there is none. */
  private static JsonNode fromPrimary(ApiClient api, JsonNode local, JsonNode f, String[] why) {
      String g = f.path("group").asText();
      String primary = null;
      for (JsonNode gr : local.path("groups")) {
        if (gr.path("group").asText().equals(g)) {
          primary = gr.path("primary").asText(null);
        }
      }
      for (JsonNode n : local.path("nodes")) {
        if (primary != null && n.path("name").asText().equals(primary)) {
          try {
            for (JsonNode pf : api.getFrom(n.path("api").asText(), "/api/v1/status").path("files")) {
              if (pf.path("group").asText().equals(g) && pf.path("resource").asInt() == f.path("resource").asInt()) {
                return pf;
              }
            }
          } catch (CliException e) {
            // Each node has its own API token: a primary without api.open-read refuses this node's read (401).
            why[0] = e.getMessage().contains("token") ? "refused this node's read: set api: { open-read: true } on "
                + primary + ", or run `tandem sync status` there" : "not reachable";
            return null;
          }
        }
      }
      return null;
    }

    private static boolean initialSyncRunning(JsonNode files) {
      for (JsonNode f : files) {
        for (JsonNode r : f.path("replicas")) {
          if (r.path("state").asText().equals("initial-sync")) {
            return true;
          }
        }
      }
      return false;
    }
  }

  static String render(JsonNode files, boolean bars) {
    StringBuilder out = new StringBuilder();
    for (JsonNode f : files) {
      out.append("Group ").append(f.path("group").asText()).append(", files ").append(f.path("path").asText());
      if (!f.path("sending").asBoolean()) {
        JsonNode rcv = f.path("receiver");
        out.append(" (this replica; the view of primary ").append(rcv.path("primary").asText("?")).append(": ")
            .append(f.path("primaryView").asText("not reachable")).append(")\n");
        out.append("  received ").append(rcv.path("appliedEntries").asLong()).append(" entries, ")
            .append(bytes(rcv.path("appliedBytes").asLong())).append(", ").append(rcv.path("conflicts").asLong())
            .append(" conflict copies").append(rcv.path("receiving").asBoolean() ? ", receiving now" : ", not receiving")
            .append("\n");
        continue;
      }
      out.append(" (primary: ").append(f.path("entries").asLong()).append(" entries, ")
          .append(bytes(f.path("bytes").asLong())).append(")\n");
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"Replica", "State", "In sync", "Behind", "Lag", "Rate"});
      for (JsonNode r : f.path("replicas")) {
        rows.add(new String[] {r.path("replica").asText(), r.path("state").asText(),
            r.path("entriesInSync").asLong() + " / " + bytes(r.path("bytesInSync").asLong()),
            r.path("behindEntries").asLong() + " / " + bytes(r.path("behindBytes").asLong()),
            String.format(Locale.ROOT, "%.1f s", r.path("behindSeconds").asDouble()),
            bytes((long) r.path("bytesPerSecond").asDouble()) + "/s"});
      }
      out.append(rows.size() > 1 ? Table.render(rows) : "  no replica listed for this group yet\n");
      for (JsonNode r : f.path("replicas")) {
        if (r.path("state").asText().equals("initial-sync")) {
          out.append(progress(r, bars)).append("\n");
        }
        String err = r.path("lastError").asText("");
        if (!err.isEmpty() && !r.path("state").asText().equals("in-sync")) {
          out.append("  ").append(r.path("replica").asText()).append(": last error: ").append(err).append("\n");
        }
      }
    }
    return out.toString();
  }

  static String progress(JsonNode r, boolean bar) {
    long total = r.path("initialTotalBytes").asLong();
    long done = r.path("initialDoneBytes").asLong();
    double frac = total == 0 ? 1 : Math.min(1, done / (double) total);
    int width = 30;
    int filled = (int) Math.round(frac * width);
    double rate = r.path("bytesPerSecond").asDouble();
    String eta = rate <= 0 ? "?" : String.format(Locale.ROOT, "%.0f s", (total - done) / rate);
    return "  " + r.path("replica").asText() + " initial sync " + (bar ? "[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " : "")
        + String.format(Locale.ROOT, "%.0f%%", frac * 100) + " " + bytes(done) + " of " + bytes(total) + ", "
        + r.path("initialDoneEntries").asLong() + " of " + r.path("initialTotalEntries").asLong() + " entries, "
        + bytes((long) rate) + "/s, ETA " + eta;
  }

  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
