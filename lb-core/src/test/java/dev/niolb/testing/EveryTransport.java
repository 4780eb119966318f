package dev.niolb.testing;

import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs every test of the class once per transport of {@link TestedTransports#all()}, each run shown as {@code [nio]}
 * (the transport's name) in reports. The class takes the transport in its constructor and gives it to its
 * {@link EngineRig}:
 *
 * <pre>{@code
 * @EveryTransport
 * class TcpProxyTest {
 *     @RegisterExtension
 *     final EngineRig rig;
 *
 *     TcpProxyTest(final TransportChoice transport) {
 *         rig = new EngineRig(transport);
 *     }
 * }
 * }</pre>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.niolb.testing.TestedTransports#all")
public @interface EveryTransport {
}
