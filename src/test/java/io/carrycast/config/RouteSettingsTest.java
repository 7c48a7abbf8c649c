package io.carrycast.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.carrycast.engine.Router;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** Routes are declared in carrycast.routes and carrycast.route.<name>.*; a mistake fails at start, named. */
class RouteSettingsTest {

    private static Map<String, Object> routes() {
        Map<String, Object> settings = new HashMap<>();
        settings.put("bootstrap.servers", "kafka:9092");
        settings.put("carrycast.routes", "retail,vip");
        settings.put("carrycast.route.retail.match", "field:segment=retail");
        settings.put("carrycast.route.retail.model.dir", "models/retail");
        settings.put("carrycast.route.vip.match", "key-regex:vip-[0-9]+");
        settings.put("carrycast.route.vip.model.dir", "models/vip");
        return settings;
    }

    private static String refusal(Map<String, Object> settings) {
        return assertThrows(ConfigException.class, () -> CarrycastConfig.of(settings)).getMessage();
    }

    @Test
    void shouldReadTheDeclaredRoutesInOrderWithoutADefaultWhenNoModelDirectoryIsSet() {
        CarrycastConfig config = CarrycastConfig.of(routes());
        assertEquals(List.of("retail", "vip"), config.routes().stream().map(CarrycastConfig.RouteSetting::name).toList());
        assertEquals(Path.of("models/vip"), config.routes().get(1).modelDir());
        assertEquals("key-regex:vip-[0-9]+", config.routes().get(1).rule().toString());
        Router router = config.router();
        assertEquals(2, router.size());
        assertEquals(List.of("segment"), router.fields());
        assertNull(config.modelDir());
        assertEquals("forecasts", config.routes().get(0).outputTopic(), "carrycast.output.topic unless its own");
    }

    @Test
    void shouldPollAThousandRecordsPerRouteUpToTwentyThousandUnlessTheUserSetsIt() {
        Map<String, Object> settings = routes();
        assertEquals(2000, CarrycastConfig.of(settings).streamsProperties().get("main.consumer.max.poll.records"));
        settings.put("carrycast.model.dir", "models/base");
        assertEquals(3000, CarrycastConfig.of(settings).streamsProperties().get("main.consumer.max.poll.records"),
                "the default route counts");
        List<String> many = new java.util.ArrayList<>(List.of("retail", "vip"));
        for (int r = 0; r < 28; r++) {
            many.add("r" + r);
            settings.put("carrycast.route.r" + r + ".match", "key-prefix:r" + r + "-");
            settings.put("carrycast.route.r" + r + ".model.dir", "models/r" + r);
        }
        settings.put("carrycast.routes", String.join(",", many));
        assertEquals(20_000, CarrycastConfig.of(settings).streamsProperties().get("main.consumer.max.poll.records"));
        for (String userSetting : List.of("max.poll.records", "consumer.max.poll.records",
                "main.consumer.max.poll.records")) {
            Map<String, Object> own = routes();
            own.put(userSetting, "500");
            var streams = CarrycastConfig.of(own).streamsProperties();
            assertEquals("500", streams.get(userSetting));
            if (!userSetting.startsWith("main.")) {
                assertNull(streams.get("main.consumer.max.poll.records"),
                        "a main.consumer. default would override the user's " + userSetting);
            }
        }
    }

    @Test
    void shouldLeaveKafkaStreamsPollSizeToASingleModel() {
        Map<String, Object> settings = new HashMap<>();
        settings.put("bootstrap.servers", "kafka:9092");
        settings.put("carrycast.model.dir", "models/base");
        assertNull(CarrycastConfig.of(settings).streamsProperties().get("main.consumer.max.poll.records"));
        Map<String, Object> oneRoute = routes();
        oneRoute.put("carrycast.routes", "vip");
        oneRoute.remove("carrycast.route.retail.match");
        oneRoute.remove("carrycast.route.retail.model.dir");
        assertNull(CarrycastConfig.of(oneRoute).streamsProperties().get("main.consumer.max.poll.records"));
    }

    @Test
    void shouldGiveARouteItsOwnOutputTopicWhenConfigured() {
        Map<String, Object> settings = routes();
        settings.put("carrycast.route.vip.output.topic", "forecasts-vip");
        CarrycastConfig config = CarrycastConfig.of(settings);
        assertEquals(List.of("forecasts", "forecasts-vip"),
                config.routes().stream().map(CarrycastConfig.RouteSetting::outputTopic).toList());
    }

    @Test
    void shouldMakeTheModelDirectoryTheDefaultRouteBesideRoutes() {
        Map<String, Object> settings = routes();
        settings.put("carrycast.model.dir", "models/base");
        Router router = CarrycastConfig.of(settings).router();
        assertEquals(List.of("retail", "vip", "default"), router.routes().stream().map(Router.Route::name).toList());
    }

    @Test
    void shouldReadRouteSettingsFromTheEnvironment() {
        CarrycastConfig config = CarrycastConfig.load(null, Map.of("CARRYCAST_BOOTSTRAP_SERVERS", "kafka:9092",
                "CARRYCAST_ROUTES", "retail", "CARRYCAST_ROUTE_RETAIL_MATCH", "key-prefix:r-",
                "CARRYCAST_ROUTE_RETAIL_MODEL_DIR", "models/retail"));
        assertEquals(Path.of("models/retail"), config.routes().get(0).modelDir());
    }

    @Test
    void shouldRefuseABadRuleNamingTheSettingValueAndForms() {
        Map<String, Object> settings = routes();
        settings.put("carrycast.route.vip.match", "key-regex:vip-[0-9");
        assertEquals("Invalid value key-regex:vip-[0-9 for configuration carrycast.route.vip.match: the rule is not a "
                + "valid regular expression: Unclosed character class near index 7", refusal(settings));
        settings.put("carrycast.route.vip.match", "segment=vip");
        assertEquals("Invalid value segment=vip for configuration carrycast.route.vip.match: the rule is not a rule; "
                + "a match is key-prefix:<prefix>, key-regex:<regular expression> or field:<field>=<value>",
                refusal(settings));
        settings.put("carrycast.route.vip.match", "field:=vip");
        assertEquals("Invalid value field:=vip for configuration carrycast.route.vip.match: the rule needs "
                + "field:<field>=<value>, e.g. field:segment=retail", refusal(settings));
    }

    @Test
    void shouldRefuseARouteWithoutItsRuleOrModel() {
        Map<String, Object> settings = routes();
        settings.remove("carrycast.route.vip.model.dir");
        assertEquals("Invalid value null for configuration carrycast.route.vip.model.dir: route 'vip' needs its model "
                + "bundle directory", refusal(settings));
        settings = routes();
        settings.remove("carrycast.route.retail.match");
        assertEquals("Invalid value null for configuration carrycast.route.retail.match: route 'retail' needs a rule: "
                + "key-prefix:<prefix>, key-regex:<regular expression> or field:<field>=<value>", refusal(settings));
    }

    @Test
    void shouldRefuseSettingsOfAnUndeclaredRouteAndUnknownRouteSettings() {
        Map<String, Object> settings = routes();
        settings.put("carrycast.route.gold.match", "key-prefix:g-");
        assertEquals("Invalid value key-prefix:g- for configuration carrycast.route.gold.match: route 'gold' is not "
                + "declared in carrycast.routes (declared: [retail, vip])", refusal(settings));
        settings = routes();
        settings.put("carrycast.route.vip.cadence", "PT1M");
        assertEquals("Invalid value PT1M for configuration carrycast.route.vip.cadence: unknown route setting; a route "
                + "has carrycast.route.<name>.match, carrycast.route.<name>.model.dir and optionally "
                + "carrycast.route.<name>.output.topic", refusal(settings));
    }

    @Test
    void shouldRefuseBadDuplicateOrReservedRouteNames() {
        Map<String, Object> settings = routes();
        settings.put("carrycast.routes", "retail,Retail");
        assertEquals("Invalid value [retail, Retail] for configuration carrycast.routes: route name 'Retail' must be 1 "
                + "to 63 lower-case letters, digits or '-', starting with a letter or digit", refusal(settings));
        settings.put("carrycast.routes", "retail,retail");
        assertEquals("Invalid value [retail, retail] for configuration carrycast.routes: route 'retail' is declared "
                + "twice", refusal(settings));
        settings.put("carrycast.routes", "default");
        assertEquals("Invalid value [default] for configuration carrycast.routes: 'default' is the name of the route "
                + "serving carrycast.model.dir; name the route otherwise", refusal(settings));
    }

    @Test
    void shouldAcceptOneChallengerBesideAllRoutes() {
        Map<String, Object> settings = routes();
        settings.put("carrycast.challenger.model.dir", "models/next");
        CarrycastConfig config = CarrycastConfig.of(settings);
        assertEquals(Path.of("models/next"), config.challengerModelDir());
        assertEquals(List.of("retail", "vip"), config.routes().stream().map(CarrycastConfig.RouteSetting::name).toList());
    }
}
