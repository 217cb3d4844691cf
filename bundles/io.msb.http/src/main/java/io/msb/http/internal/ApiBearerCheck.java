package io.msb.http.internal;

import io.msb.api.MsbHome;
import io.msb.api.spi.BearerCheck;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * The API's keys for other endpoints of this server (e.g. {@code /metrics}, decision 1872): the same configuration as
 * {@link ApiServlet}, so a key change reaches both.
 */
@Component(service = BearerCheck.class, configurationPid = HttpApiConfig.PID)
public final class ApiBearerCheck implements BearerCheck {
    private final ApiKeys keys;

    @Activate
    public ApiBearerCheck(HttpApiConfig config) {
        this.keys = ApiKeys.of(config.apiKeys(), MsbHome.resolve(config.home()));
    }

    @Override
    public boolean accepts(String authorization) {
        return keys.accepts(authorization);
    }
}
