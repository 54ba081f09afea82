package tandem.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import tandem.api.Status;

/**
 * `tandem status` rendering what GET /api/v1/status returns. The sample is the API's own {@link Status} record turned
 * into JSON by Jackson, so a field renamed on one side breaks this test rather than the printout.
 */
class StatusCommandTest {
  static final String N1_ID = "N1AAAAAAAAAAAQWERTYUIOPASDFGHJKLZXCVBNMQWERTYUIOPAS";
  static final String N3_ID = "N3WWWWWWWWWWWQWERTYUIOPASDFGHJKLZXCVBNMQWERTYUIOPAS";
  static final String W_ID = "WITNESSSSSSSSQWERTYUIOPASDFGHJKLZXCVBNMQWERTYUIOPAS";

  @Test
  void render_showsTheClusterLineAndTheAutomaticFailoverLine() {
    String out = StatusCommand.render(json(status("n1", false, "n1 is primary and holds its lease")));

    assertThat(out.lines().toList()).startsWith(
        "Cluster: shop (generation 1, leader n1, seen from n2)",
        "Automatic failover: possible: 3 voters incl. a witness, 2 make a majority");
  }

  @Test
  void render_hasOneRowPerNode() {
    String out = StatusCommand.render(json(status("n1", false, "")));

    assertThat(rows(out)).contains(
        List.of("Node", "ID", "Listen", "API", "Kind", "Votes"),
        List.of("n1", "N1AAAAAAAAAA", "10.0.0.1:7400", "10.0.0.1:8400", "data", "yes"),
        List.of("n3", "N3WWWWWWWWWW", "10.0.0.3:7400", "10.0.0.3:8400", "data", "no"),
        List.of("w", "WITNESSSSSSS", "10.0.0.9:7400", "10.0.0.9:8400", "witness", "yes"));
  }

  @Test
  void render_hasOneRowPerGroupMember_withTheEpochOnThePrimaryOnly_andTheReplicasLag() {
    String out = StatusCommand.render(json(status("n1", false, "")));

    assertThat(rows(out)).contains(
        List.of("Group", "Node", "Mode", "Role", "State", "Epoch", "Lease", "Lag", "Health"),
        List.of("web", "n1", "primary", "primary", "running", "7", "1834ms", "-", "2/2 passing"),
        List.of("web", "n3", "passive", "replica", "stopped", "", "", "2 MiB, 0.4 s", "http:web failing (HTTP 503)"));
  }

  @Test
  void render_endsWithEachGroupsWhySentence() {
    String out = StatusCommand.render(json(status("n1", false, "n1 is primary and holds its lease")));

    assertThat(out).endsWith("web: n1 is primary and holds its lease\n");
  }

  @Test
  void render_withoutADecision_saysTheLastChange() {
    String out = StatusCommand.render(json(status("n1", false, "")));

    assertThat(out).endsWith("web: switchover from n3 at 2026-11-22T10:15:30Z\n");
  }

  @Test
  void render_pausedGroup_saysHowToResume() {
    String out = StatusCommand.render(json(status("n1", true, "paused: automatic failover is off (tandem resume web)")));

    assertThat(out).contains("web: PAUSED: automatic failover is off (tandem resume web)\n")
        .containsOnlyOnce("tandem resume web");
  }

  @Test
  void render_nodeWhoseFileDiffers_isMarked_andALineSaysWhichKeys() {
    Status base = status("n1", false, "n1 is primary and holds its lease");
    Status.GroupRow web = base.groups().getFirst();
    Status.GroupRow differing = new Status.GroupRow(web.group(), web.primary(), web.epoch(), web.paused(),
        web.switchoverTo(), web.failback(), web.why(), web.lastChange(), web.definedBy(), web.members(),
        java.util.Map.of("n3", "nodes.n3: off here, passive in the cluster's"));
    String out = StatusCommand.render(json(new Status(base.cluster(), base.node(), base.leader(), base.generation(),
        base.automaticFailover(), base.nodes(), List.of(differing), base.files(), base.databases())));

    assertThat(rows(out)).contains(List.of("web", "n3*", "passive", "replica", "stopped", "", "", "2 MiB, 0.4 s", "http:web failing (HTTP 503)"));
    assertThat(out).endsWith("web: n1 is primary and holds its lease\n"
        + "web: * n3's tandem.yaml defines it differently from the cluster's definition (from n1's file), not applied: "
        + "nodes.n3: off here, passive in the cluster's\n");
  }

  @Test
  void render_endsWithEachDatabaseWarning_namingTheNodeThatSawIt() {
    Status base = status("n1", false, "n1 is primary and holds its lease");
    tandem.db.DbStatus db = new tandem.db.DbStatus("web", 0, "mariadb", "primary", "running", 7, 7, 0, 0, List.of(), false, -1,
        List.of("'wp'@'%' holds SUPER or READ_ONLY ADMIN, so read_only does not stop its writes"));
    String out = StatusCommand.render(json(new Status(base.cluster(), base.node(), base.leader(), base.generation(),
        base.automaticFailover(), base.nodes(), base.groups(), base.files(), List.of(db))));

    assertThat(out).endsWith("web: n1 is primary and holds its lease\n"
        + "web: WARNING (mariadb on n2) 'wp'@'%' holds SUPER or READ_ONLY ADMIN, so read_only does not stop its writes\n");
  }

  @Test
  void render_withoutLeader_saysThereIsNoQuorum() {
    String out = StatusCommand.render(json(status(null, false, "")));

    assertThat(out.lines().findFirst()).hasValue("Cluster: shop (generation 1, leader NONE: no quorum, seen from n2)");
  }

  static Status status(String leader, boolean paused, String why) {
    List<Status.NodeRow> nodes = List.of(
        new Status.NodeRow("n1", N1_ID, "10.0.0.1:7400", "10.0.0.1:8400", false, true),
        new Status.NodeRow("n3", N3_ID, "10.0.0.3:7400", "10.0.0.3:8400", false, false),
        new Status.NodeRow("w", W_ID, "10.0.0.9:7400", "10.0.0.9:8400", true, true));
    List<Status.MemberRow> members = List.of(
        new Status.MemberRow("n1", "primary", "primary", "running", "2/2 passing", 0, "1834ms", "-"),
        new Status.MemberRow("n3", "passive", "replica", "stopped", "http:web failing (HTTP 503)", -10, "",
            "2 MiB, 0.4 s"));
    Status.GroupRow web = new Status.GroupRow("web", "n1", 7, paused, null, "manual", why,
        "switchover from n3 at 2026-11-22T10:15:30Z", "n1", members, java.util.Map.of());
    return new Status("shop", "n2", leader, 1, "possible: 3 voters incl. a witness, 2 make a majority", nodes, List.of(web), List.of(), List.of());
  }

  static JsonNode json(Status s) {
    return ApiClient.json().valueToTree(s);
  }

  /** The cells of every table row ("| a | b |"), trimmed. */
  static List<List<String>> rows(String out) {
    return out.lines().filter(l -> l.startsWith("|"))
        .map(l -> Arrays.stream(l.substring(1, l.length() - 1).split("\\|", -1)).map(String::strip).toList())
        .toList();
  }
}
