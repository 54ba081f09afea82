package tandem.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What goes into the Raft log and snapshots must come back equal on every node, or replicas diverge.
 */
class ClusterCodecTest {
  static final long NOW = ClusterStateTest.NOW;

  /** A state with every kind of entry: members (one witness), a group with primary and switchover, invites, reports. */
  static ClusterState richState() {
    ClusterStateTest.Log l = ClusterStateTest.withPrimaryN1();
    ClusterStateTest.joined(l, ClusterStateTest.witness("w1"));
    l.apply(new ClusterCommand.DefineGroup("idle", Map.of("n2", "primary"), "auto", 5_000, "n2", "h9"));
    l.apply(new ClusterCommand.Renew("web", "n1", 1));
    l.apply(new ClusterCommand.RequestSwitchover("web", "n2", "maintenance", NOW));
    l.apply(new ClusterCommand.SetPaused("idle", true, "n3"));
    l.apply(new ClusterCommand.CreateInvite("unused", "n1", NOW + 1000));
    l.apply(new ClusterCommand.Report(new NodeReport("n1", "web", true, false, 5, "ok\ttab \"quoted\" ünïcode", true,
        1, NOW)));
    return l.state;
  }

  static Stream<ClusterCommand> everyCommand() {
    Member m = ClusterStateTest.member("n2");
    return Stream.of(
        new ClusterCommand.Bootstrap("shop", m),
        new ClusterCommand.CreateInvite("abc", "n1", NOW),
        new ClusterCommand.Join("abc", m, NOW),
        new ClusterCommand.DefineGroup("web", Map.of("n1", "primary", "n2", "passive"), "manual", 30_000, "n1", "h"),
        new ClusterCommand.DefineGroup("web", Map.of("n1", "primary"), "manual", 30_000, "n2", "h2", "h"),
        new ClusterCommand.Renew("web", "n1", 3),
        new ClusterCommand.Promote("web", "n2", 3, 17, "n1 lease over", NOW),
        new ClusterCommand.RequestSwitchover("web", "n2", "maintenance", NOW),
        new ClusterCommand.Release("web", "n1", 3, NOW),
        new ClusterCommand.SetPaused("web", true, "n1"),
        new ClusterCommand.Report(new NodeReport("n2", "web", false, true, -20, "disk full", false, 0, NOW)),
        new ClusterCommand.Reform(richState(), 4, List.of("n2", "w1"), "web", "n2", "forced", NOW),
        new ClusterCommand.Reform(ClusterState.empty(), 2, List.of("n1"), null, null, "forced", NOW),
        new ClusterCommand.AddVoter("n1"),
        new ClusterCommand.RemoveMember("n3", "n1", "dead for good", 1_800_000_000_000L),
        new ClusterCommand.NoteDecision("web", "n1 is primary and holds its lease", "w", 1_800_000_000_000L),
        new ClusterCommand.ReportDefinition("web", "n2", "failback: auto here, manual in the cluster's", 1L));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyCommand")
  void command_survivesAJsonRoundTrip(ClusterCommand c) throws IOException {
    byte[] json = ClusterCodec.encode(c);

    assertThat(ClusterCodec.decode(json, ClusterCommand.class)).isEqualTo(c);
  }

  @Test
  void roundTripCases_coverEveryKindOfCommand() {
    assertThat(everyCommand().map(Object::getClass).distinct())
        .containsExactlyInAnyOrderElementsOf(Arrays.asList(ClusterCommand.class.getPermittedSubclasses()));
  }

  @Test
  void stateWithEveryKindOfEntry_survivesAJsonRoundTrip() throws IOException {
    ClusterState s = richState();

    ClusterState back = ClusterCodec.decode(ClusterCodec.encode(s), ClusterState.class);

    assertThat(back).isEqualTo(s);
    assertThat(back.groups().get("web").primary()).isEqualTo("n1");
    assertThat(back.groups().get("web").switchoverTo()).isEqualTo("n2");
    assertThat(back.groups().get("idle").primary()).isNull();
  }

  @Test
  void emptyState_survivesAJsonRoundTrip() throws IOException {
    assertThat(ClusterCodec.decode(ClusterCodec.encode(ClusterState.empty()), ClusterState.class))
        .isEqualTo(ClusterState.empty());
  }

  @Test
  void decodedState_appliesCommandsLikeTheOriginal() throws IOException {
    ClusterState s = richState();
    ClusterState back = ClusterCodec.decode(ClusterCodec.encode(s), ClusterState.class);
    ClusterCommand release = new ClusterCommand.Release("web", "n1", 1, NOW);

    assertThat(back.apply(release, 99)).isEqualTo(s.apply(release, 99));
  }

  @Test
  void commandResult_survivesAJsonRoundTrip() throws IOException {
    CommandResult r = new CommandResult(false, "promotion of n2 cancelled", 7);

    assertThat(ClusterCodec.decode(ClusterCodec.encode(r), CommandResult.class)).isEqualTo(r);
  }
}
