package io.carrycast.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.state.rocksdb.BoundedMemoryConfigSetter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;

class CarrycastConfigTest {

    @TempDir
    Path dir;

    @Test
    void shouldPassKafkaSettingsThroughAndKeepCarrycastSettingsApart() {
        CarrycastConfig config = CarrycastConfig.of(Map.of("carrycast.model.dir", "models/x",
                "bootstrap.servers", "kafka:9092", "processing.guarantee", "at_least_once",
                "producer.compression.type", "zstd", "topic.retention.ms", "1000"));

        Properties streams = config.streamsProperties();
        assertEquals("kafka:9092", streams.get("bootstrap.servers"));
        assertEquals("at_least_once", streams.get("processing.guarantee"));
        assertEquals("zstd", streams.get("producer.compression.type"));
        assertEquals("1000", streams.get("topic.retention.ms"));
        assertEquals("carrycast-dead-letter", streams.get("errors.dead.letter.queue.topic.name"));
        assertNull(streams.get("carrycast.model.dir"));
        assertEquals(Path.of("models/x"), config.modelDir());
    }

    @Test
    void shouldDefaultToLargeProducerBatchesAndAThreadPerCpuUnlessTheUserSetsThem() {
        Map<String, Object> base = Map.of("carrycast.model.dir", "models/x", "bootstrap.servers", "kafka:9092");
        assertEquals(262_144, CarrycastConfig.of(base).streamsProperties().get("producer.batch.size"));

        Map<String, Object> plain = new java.util.HashMap<>(base);
        plain.put("batch.size", "32768");
        Properties streams = CarrycastConfig.of(plain).streamsProperties();
        assertNull(streams.get("producer.batch.size"), "a prefixed default would override the user's batch.size");
        assertEquals("32768", streams.get("batch.size"));

        assertEquals(Runtime.getRuntime().availableProcessors(),
                CarrycastConfig.of(base).streamsProperties().get("num.stream.threads"));
        Map<String, Object> prefixed = new java.util.HashMap<>(base);
        prefixed.put("producer.batch.size", "65536");
        prefixed.put("num.stream.threads", "3");
        assertEquals("65536", CarrycastConfig.of(prefixed).streamsProperties().get("producer.batch.size"));
        assertEquals("3", CarrycastConfig.of(prefixed).streamsProperties().get("num.stream.threads"));
    }

    @Test
    void shouldDefaultToAShortProducerLingerUnlessTheUserSetsIt() {
        Map<String, Object> base = Map.of("carrycast.model.dir", "models/x", "bootstrap.servers", "kafka:9092");
        assertEquals(5, CarrycastConfig.of(base).streamsProperties().get("producer.linger.ms"));

        Map<String, Object> plain = new java.util.HashMap<>(base);
        plain.put("linger.ms", "100");
        Properties streams = CarrycastConfig.of(plain).streamsProperties();
        assertNull(streams.get("producer.linger.ms"), "a prefixed default would override the user's linger.ms");
        assertEquals("100", streams.get("linger.ms"));

        Map<String, Object> prefixed = new java.util.HashMap<>(base);
        prefixed.put("producer.linger.ms", "20");
        assertEquals("20", CarrycastConfig.of(prefixed).streamsProperties().get("producer.linger.ms"));
    }

    @Test
    void shouldBoundRocksDbMemoryByDefaultUnlessTurnedOffOrTheUserBringsTheirOwnSetter() {
        Map<String, Object> base = Map.of("carrycast.model.dir", "models/x", "bootstrap.servers", "kafka:9092");
        CarrycastConfig defaults = CarrycastConfig.of(base);
        assertTrue(defaults.boundsRocksDbMemory());
        assertEquals(256L << 20, defaults.rocksDbMemoryBytes());
        assertEquals(BoundedMemoryConfigSetter.class, defaults.streamsProperties().get("rocksdb.config.setter"));

        Map<String, Object> off = new java.util.HashMap<>(base);
        off.put("carrycast.rocksdb.memory.bytes", "0");
        assertFalse(CarrycastConfig.of(off).boundsRocksDbMemory());
        assertNull(CarrycastConfig.of(off).streamsProperties().get("rocksdb.config.setter"));

        Map<String, Object> own = new java.util.HashMap<>(base);
        own.put("rocksdb.config.setter", OwnSetter.class.getName());
        assertFalse(CarrycastConfig.of(own).boundsRocksDbMemory());
        assertEquals(OwnSetter.class.getName(), CarrycastConfig.of(own).streamsProperties().get("rocksdb.config.setter"));
    }

    @Test
    void shouldRefuseARocksDbMemoryBoundTooSmallToHoldAMemtable() {
        ConfigException e = assertThrows(ConfigException.class, () -> CarrycastConfig.of(Map.of(
                "carrycast.model.dir", "m", "carrycast.rocksdb.memory.bytes", "1000000")));
        assertEquals("Invalid value 1000000 for configuration carrycast.rocksdb.memory.bytes: must be 0 (no bound) "
                + "or at least 16777216 (16 MiB)", e.getMessage());
    }

    @Test
    void shouldReadIntervalLevelsAndTheirAnomalyLevelDefaultingToTheHighest() {
        CarrycastConfig config = CarrycastConfig.of(Map.of("carrycast.model.dir", "m", "bootstrap.servers",
                "kafka:9092", "carrycast.scoring.enabled", "true", "carrycast.intervals.levels", "0.8, 0.95",
                "carrycast.intervals.window", "365"));
        assertEquals(new io.carrycast.accuracy.Intervals(new double[] {0.8, 0.95}, 365), config.intervals());
        assertEquals(0.95, config.anomalyLevel());
        assertEquals(null, config.anomalyTopic());
        assertEquals(false, CarrycastConfig.of(Map.of("carrycast.model.dir", "m", "bootstrap.servers", "kafka:9092"))
                .intervals().enabled());
    }

    @Test
    void shouldRefuseIntervalSettingsThatCannotWorkNamingTheRule() {
        assertEquals("Invalid value [0.95, 0.8] for configuration carrycast.intervals.levels: interval levels must be "
                + "ascending and distinct, found [0.95, 0.8]", refused("carrycast.scoring.enabled", "true",
                "carrycast.intervals.levels", "0.95,0.8"));
        assertEquals("Invalid value [0.8, 95] for configuration carrycast.intervals.levels: interval level must be "
                + "strictly between 0 and 1, found 95.0", refused("carrycast.scoring.enabled", "true",
                "carrycast.intervals.levels", "0.8,95"));
        assertEquals("Invalid value [0.8, high] for configuration carrycast.intervals.levels: level 'high' is not a "
                + "number", refused("carrycast.scoring.enabled", "true", "carrycast.intervals.levels", "0.8,high"));
        assertEquals("Invalid value [0.8] for configuration carrycast.intervals.levels: needs "
                + "carrycast.scoring.enabled=true: intervals are computed from the scored errors",
                refused("carrycast.intervals.levels", "0.8"));
        assertEquals("Invalid value 0.9 for configuration carrycast.intervals.anomaly.level: must be one of "
                + "carrycast.intervals.levels [0.8, 0.95], or 0 for the highest", refused("carrycast.scoring.enabled",
                "true", "carrycast.intervals.levels", "0.8,0.95", "carrycast.intervals.anomaly.level", "0.9"));
        assertEquals("Invalid value anomalies for configuration carrycast.intervals.anomaly.topic: needs "
                + "carrycast.scoring.enabled=true: an anomaly is a scored actual outside its forecast's interval",
                refused("carrycast.intervals.anomaly.topic", "anomalies"));
    }

    private static String refused(String... settings) {
        Map<String, String> all = new java.util.HashMap<>(Map.of("carrycast.model.dir", "m", "bootstrap.servers",
                "kafka:9092"));
        for (int i = 0; i < settings.length; i += 2) {
            all.put(settings[i], settings[i + 1]);
        }
        return assertThrows(ConfigException.class, () -> CarrycastConfig.of(all)).getMessage();
    }

    /** A user's own RocksDB settings. */
    public static final class OwnSetter implements RocksDBConfigSetter {
        @Override
        public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        }

        @Override
        public void close(String storeName, Options options) {
        }
    }

    @Test
    void shouldLetEnvironmentOverrideTheFile() throws IOException {
        Path file = dir.resolve("carrycast.properties");
        Files.writeString(file, "carrycast.model.dir=from-file\nbootstrap.servers=file:9092\ncarrycast.input.topic=a\n");

        CarrycastConfig config = CarrycastConfig.load(file, Map.of("CARRYCAST_MODEL_DIR", "from-env",
                "CARRYCAST_BOOTSTRAP_SERVERS", "env:9092", "PATH", "/usr/bin"));

        assertEquals(Path.of("from-env"), config.modelDir());
        assertEquals("env:9092", config.streamsProperties().get("bootstrap.servers"));
        assertEquals("a", config.inputTopic());
    }

    @Test
    void shouldLeaveTheLaunchersOwnVariablesOutOfTheSettings() {
        CarrycastConfig config = CarrycastConfig.load(null, Map.of("CARRYCAST_MODEL_DIR", "m",
                "CARRYCAST_BOOTSTRAP_SERVERS", "kafka:9092", "CARRYCAST_JAVA_OPTS", "-Xmx512m"));

        assertEquals(Path.of("m"), config.modelDir());
        assertNull(config.streamsProperties().get("java.opts"));
    }

    @Test
    void shouldSayWhyTheConfigurationFileCannotBeRead() throws IOException {
        Path missing = dir.resolve("missing.properties");
        ConfigException notThere = assertThrows(ConfigException.class, () -> CarrycastConfig.load(missing, Map.of()));
        assertEquals("cannot read configuration file " + missing + ": no such file", notThere.getMessage());

        Path latin1 = dir.resolve("latin1.properties");
        Files.write(latin1, "carrycast.input.topic=caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        ConfigException notUtf8 = assertThrows(ConfigException.class, () -> CarrycastConfig.load(latin1, Map.of()));
        assertEquals("cannot read configuration file " + latin1 + ": not UTF-8 text", notUtf8.getMessage());
    }

    @Test
    void shouldRefuseAClusterWaitBelowOneMillisecond() {
        ConfigException e = assertThrows(ConfigException.class, () -> CarrycastConfig.of(Map.of(
                "carrycast.model.dir", "m", "bootstrap.servers", "kafka:9092", "carrycast.cluster.wait.ms", "0")));
        assertEquals("Invalid value 0 for configuration carrycast.cluster.wait.ms: Value must be at least 1",
                e.getMessage());
        assertEquals(java.time.Duration.ofSeconds(60), CarrycastConfig.of(Map.of("carrycast.model.dir", "m",
                "bootstrap.servers", "kafka:9092")).clusterWait());
    }

    @Test
    void shouldRefuseAnUnknownCarrycastSetting() {
        ConfigException e = assertThrows(ConfigException.class, () -> CarrycastConfig.of(Map.of(
                "carrycast.model.dir", "m", "carrycast.input.topics", "x")));
        assertTrue(e.getMessage().startsWith("Invalid value x for configuration carrycast.input.topics: unknown "
                + "carrycast setting; known: [carrycast.batch.max.size, "), e.getMessage());
        assertTrue(e.getMessage().contains(" carrycast.input.topic, "), e.getMessage());
    }

    @Test
    void shouldRefuseAnUnknownKafkaSetting() {
        ConfigException e = assertThrows(ConfigException.class, () -> CarrycastConfig.of(Map.of(
                "carrycast.model.dir", "m", "bootstrap.server", "x:1")));
        assertEquals("Invalid value x:1 for configuration bootstrap.server: neither a carrycast setting nor a known "
                + "Kafka Streams, consumer, producer, admin or topic setting", e.getMessage());
    }

    @Test
    void shouldRefuseAnInvalidKafkaValue() {
        ConfigException e = assertThrows(ConfigException.class, () -> CarrycastConfig.of(Map.of(
                "carrycast.model.dir", "m", "bootstrap.servers", "k:1", "processing.guarantee", "twice")));
        assertEquals("Invalid value twice for configuration processing.guarantee: String must be one of: "
                + "at_least_once, exactly_once_v2", e.getMessage());
    }

    @Test
    void shouldRefuseAnInvalidTimestampFormat() {
        ConfigException e = assertThrows(ConfigException.class, () -> CarrycastConfig.of(Map.of(
                "carrycast.model.dir", "m", "carrycast.timestamp.format", "yyyy-MM-dd'T")));
        assertTrue(e.getMessage().startsWith("Invalid value yyyy-MM-dd'T for configuration "
                + "carrycast.timestamp.format: must be iso, epoch_millis, epoch_seconds or a java.time pattern"),
                e.getMessage());
    }

    @Test
    void shouldPassClientSecuritySettingsThroughAndBindHttpToLoopbackByDefault() {
        String jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\";";
        CarrycastConfig config = CarrycastConfig.of(Map.of("carrycast.model.dir", "m", "bootstrap.servers", "k:9093",
                "security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN", "sasl.jaas.config", jaas,
                "ssl.truststore.location", "/etc/kafka/truststore.jks", "ssl.truststore.password", "changeit"));

        Properties streams = config.streamsProperties();
        assertEquals("SASL_SSL", streams.get("security.protocol"));
        assertEquals("PLAIN", streams.get("sasl.mechanism"));
        assertEquals(jaas, streams.get("sasl.jaas.config"));
        assertEquals("/etc/kafka/truststore.jks", streams.get("ssl.truststore.location"));
        assertEquals("changeit", streams.get("ssl.truststore.password"));
        assertEquals("127.0.0.1", config.httpHost());
        assertEquals("127.0.0.1", config.httpAdvertisedHost());
    }

    @Test
    void shouldNeverPrintTheValueOfASecretSetting() {
        ConfigException e = assertThrows(ConfigException.class, () -> CarrycastConfig.of(Map.of(
                "carrycast.model.dir", "m", "sasl.jaas.configs", "org.apache.kafka.common.security.plain."
                        + "PlainLoginModule required username=\"u\" password=\"s3cret\";")));
        assertEquals("Invalid value [hidden] for configuration sasl.jaas.configs: neither a carrycast setting nor a "
                + "known Kafka Streams, consumer, producer, admin or topic setting", e.getMessage());
    }

    @Test
    void shouldRequireTheModelDirectory() {
        ConfigException e = assertThrows(ConfigException.class, () -> CarrycastConfig.of(Map.of()));
        assertEquals("Missing required configuration \"carrycast.model.dir\" which has no default value.",
                e.getMessage());
    }
}
