package tandem.cli;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tandem.cluster.ClusterJoinHandler;
import tandem.cluster.LocalMembership;
import tandem.cluster.Member;
import tandem.config.HostPort;
import tandem.config.TandemConfig;
import tandem.transport.JoinToken;
import tandem.transport.NodeIdentity;
import tandem.transport.TransportClient;
import tandem.transport.proto.JoinReply;
import tandem.transport.proto.JoinRequest;

@Command(name = "join", description = "Join this node to a cluster, using a token from `tandem invite` on a member.")
final class JoinCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Parameters(index = "0", description = "the inviting member's listen address, host:port") String target;
  @Option(names = "--token", required = true, description = "the token `tandem invite` printed") String token;

  @Override
  public Integer call() throws Exception {
    TandemConfig cfg = config.load();
    if (LocalMembership.read(cfg.node().dataDir()) != null) {
      throw new CliException(1, "this node already belongs to a cluster (" + cfg.node().dataDir().resolve(LocalMembership.FILE)
          + "); to join another, stop it and remove that file and " + cfg.node().dataDir().resolve("raft"));
    }
    JoinToken t;
    HostPort hp;
    try {
      t = JoinToken.parse(token);
      hp = HostPort.parse(target);
    } catch (IllegalArgumentException e) {
      throw new CliException(2, e.getMessage());
    }
    NodeIdentity id = NodeIdentity.load(cfg.node().dataDir());
    var me = cfg.node();
    var req = JoinRequest.newBuilder().setTokenSecret(t.secret()).setMe(tandem.transport.proto.Member.newBuilder()
        .setName(me.name().value()).setNodeId(id.id().value()).setCertificatePem(id.certificatePem())
        .setListen(me.listen().toString()).setRaft(me.raft().toString()).setApi(me.api().toString()).setWitness(me.witness())).build();
    JoinReply reply;
    try (TransportClient c = TransportClient.connect(hp.host(), hp.port(), id, t.inviterTrust())) {
      reply = c.join(req, Duration.ofSeconds(20));
    } catch (java.io.IOException e) {
      throw new CliException(3, e.getMessage());
    }
    if (!reply.getAccepted()) {
      throw new CliException(1, "join refused by " + target + ": " + reply.getMessage());
    }
    if (!reply.getCluster().equals(cfg.cluster())) {
      System.err.println("note: tandem.yaml says cluster '" + cfg.cluster() + "' but you joined '" + reply.getCluster()
          + "'; fix `cluster:` in tandem.yaml before `tandem run`");
    }
    List<Member> members = reply.getMembersList().stream().map(ClusterJoinHandler::member).toList();
    new LocalMembership(reply.getCluster(), reply.getGeneration(), members, reply.getVotersList()).write(cfg.node().dataDir());
    System.out.println(reply.getMessage());
    System.out.println("members: " + members.stream().map(Member::name).toList() + "; now start the agent: tandem run");
    return 0;
  }
}
