package dev.niolb.admin;

import org.junit.jupiter.api.Test;

import java.net.BindException;
import java.net.InetSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;

/** An admin or metrics address that cannot be bound says why as a listener's does (binding below 1024 needs no root here). */
class AdminBindReasonTest {
    @Test
    void permissionDeniedBelowPort1024NamesWhatItNeeds() {
        assertThat(AdminServer.bindReason(new BindException("Permission denied"), new InetSocketAddress("127.0.0.1", 80)))
            .isEqualTo("permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)");
    }

    @Test
    void aboveItOrForAnotherReasonTheReasonIsTheJdksInLowerCase() {
        assertThat(AdminServer.bindReason(new BindException("Permission denied"), new InetSocketAddress("127.0.0.1", 8080)))
            .isEqualTo("permission denied");
        assertThat(AdminServer.bindReason(new BindException("Address already in use"), new InetSocketAddress("127.0.0.1", 80)))
            .isEqualTo("address already in use");
    }
}
