package tandem.failover;

import java.time.Duration;
import java.util.List;

/**
 * Everything the leader knows about one group at one instant: the input of
 * {@link FailoverPolicy#decide}.
 *
 * @param group the group's name
 * @param primary the current primary, or null
 * @param paused automatic failover is off
 * @param switchoverTo a planned switchover's target in progress, or null
 * @param candidates every data node of the cluster with its mode for the group
 * @param sinceRenewal time since the leader last saw the primary's lease renewed (or since it
 *     became leader, whichever is later)
 * @param primaryCriticalFailing the primary reported a failing critical check
 * @param failbackAuto failback mode is auto
 * @param failbackAfter how long the preferred node must be healthy before failback
 * @param voters how many nodes vote (a 2-voter cluster cannot fail over on its own)
 * @param settings the lease timing
 * @param neverHadPrimary the group has never had a primary (epoch 0): its first start
 * @param preferred the node whose mode is primary, or null
 */
public record Observation(
    String group,
    String primary,
    boolean paused,
    String switchoverTo,
    List<Candidate> candidates,
    Duration sinceRenewal,
    boolean primaryCriticalFailing,
    boolean failbackAuto,
    Duration failbackAfter,
    int voters,
    LeaseTiming settings,
    boolean neverHadPrimary,
    String preferred) {}
