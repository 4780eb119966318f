package dev.niolb.admission;

import dev.niolb.config.ListenerLimits;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;

class AdmissionTest {
    private static final InetAddress SOURCE = InetAddress.ofLiteral("192.0.2.7");

    @Test
    void aReloadThatTurnsTheSourceLimitOffAndOnAgainStillCountsTheConnectionsOpenMeanwhile() {
        final ListenerLimits five = ListenerLimits.NONE.withSourceMaxconn(5);
        final Admission limited = five.admission();
        for (int i = 0; i < 5; i++) {
            assertThat(limited.admit(SOURCE)).isEqualTo(Admission.Verdict.OK);
        }
        final Admission off = ListenerLimits.NONE.admission(limited);
        for (int i = 0; i < 5; i++) {
            assertThat(off.admit(SOURCE)).as("no limit").isEqualTo(Admission.Verdict.OK);
        }

        final Admission again = five.admission(off);
        assertThat(again.admit(SOURCE)).as("10 open, limit 5").isEqualTo(Admission.Verdict.SOURCE_LIMIT);
        for (int i = 0; i < 5; i++) {
            limited.release(SOURCE); // the first five close, each with the admission it was admitted under
        }
        off.release(SOURCE);
        assertThat(again.admit(SOURCE)).as("4 open").isEqualTo(Admission.Verdict.OK);
    }

    @Test
    void noLimitAndNoAccessListEverIsTheOpenAdmissionThatKeepsNothing() {
        assertThat(ListenerLimits.NONE.admission()).isSameAs(Admission.OPEN);
        assertThat(ListenerLimits.NONE.admission(Admission.OPEN)).isSameAs(Admission.OPEN);
    }
}
