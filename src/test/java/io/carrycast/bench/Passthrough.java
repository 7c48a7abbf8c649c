package io.carrycast.bench;

import io.carrycast.bundle.ModelBundle;
import io.carrycast.bundle.ModelCard;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.FeatureExtractor;
import io.carrycast.forecast.Forecast;
import io.carrycast.state.KeyState;
import io.carrycast.state.rocksdb.RocksDbMemory;
import io.carrycast.topology.ForecastSerde;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The ceilings batched carrycast is measured against: the same input and output, the same event reading and
 * forecast JSON, and no model. Stateless, or stateful: per event, a value of the size of the model's recurrent
 * state read and written back through a cached, changelogged RocksDB store like carrycast's state store. Batched
 * carrycast against the stateful one is carrycast's own overhead; against the stateless one it also pays
 * Kafka Streams' state cost.
 *
 * <p>{@code main} runs it in a process of its own, configured like {@code carrycast run --config FILE}.
 */
public final class Passthrough {

    private static final String STORE = "passthrough-state";

    private Passthrough() {
    }

    /** Runs the stateful passthrough configured by the properties file {@code args[0]} until SIGTERM. */
    public static void main(String[] args) throws Exception {
        AutoCloseable running = start(CarrycastConfig.load(Path.of(args[0]), Map.of()), true);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                running.close();
            } catch (Exception e) {
                e.printStackTrace();
            }
            stopped.countDown();
        }));
        stopped.await();
    }

    /** Starts the passthrough; closing it stops it. Its stores' RocksDB memory is bounded as carrycast's is. */
    static AutoCloseable start(CarrycastConfig config, boolean stateful) throws java.io.IOException {
        Properties properties = config.streamsProperties();
        RocksDbMemory memory = config.boundsRocksDbMemory() ? new RocksDbMemory(config.rocksDbMemoryBytes()) : null;
        if (memory != null) {
            properties.put(RocksDbMemory.CONFIG_KEY, memory);
        }
        KafkaStreams streams = new KafkaStreams(topology(config, stateful), properties);
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.ERROR) {
                // Stop the process, as carrycast run does, rather than idle until the benchmark gives up on it.
                System.err.println("Kafka Streams failed; stopping");
                Runtime.getRuntime().halt(1);
            }
        });
        streams.start();
        return () -> {
            streams.close(Duration.ofSeconds(30));
            if (memory != null) {
                memory.close();
            }
        };
    }

    /** @param stateful whether each event reads and writes its key's state-sized value */
    static Topology topology(CarrycastConfig config, boolean stateful) throws java.io.IOException {
        EventReader reader = new EventReader(config.timestampField(), config.timestampFormat(), config.eventMaxBytes());
        ModelCard card = ModelBundle.load(config.modelDir()).card();
        FeatureExtractor extractor = new FeatureExtractor(card);
        EventReader.Fields fields = reader.fields(extractor.fieldNames(), null);
        // An LSTM's state is two tensors, h and c, of the hidden size.
        int stateBytes = KeyState.initial(0L, 2, card.network().hidden()).encode().length;
        StreamsBuilder builder = new StreamsBuilder();
        if (stateful) {
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.String(),
                    Serdes.ByteArray()).withCachingEnabled());
        }
        builder.stream(config.inputTopic(), Consumed.with(Serdes.String(), Serdes.ByteArray()))
                .process(() -> new Processor<String, byte[], String, Forecast>() {
                    private ProcessorContext<String, Forecast> context;
                    private KeyValueStore<String, byte[]> store;

                    @Override
                    public void init(ProcessorContext<String, Forecast> context) {
                        this.context = context;
                        this.store = stateful ? context.getStateStore(STORE) : null;
                    }

                    @Override
                    public void process(Record<String, byte[]> record) {
                        reader.checkSize(record.key(), record.value());
                        EventReader.Values event = reader.read(record.value(), fields);
                        long time = reader.eventTime(event, record.timestamp());
                        float[] features = extractor.extract(event, time);
                        int steps = 1;
                        if (store != null) {
                            byte[] stored = store.get(record.key());
                            byte[] next = stored == null ? new byte[stateBytes] : stored.clone();
                            steps = ++next[0];
                            store.put(record.key(), next);
                        }
                        context.forward(new Record<>(record.key(), new Forecast(record.key(), time, "passthrough", "1",
                                "stateful", steps, null, List.of(new Forecast.Point(1, time + 1000,
                                Map.of("f0", (double) features[0])))), time));
                    }
                }, stateful ? new String[] {STORE} : new String[0])
                .to(config.outputTopic(), Produced.with(Serdes.String(), new ForecastSerde()));
        return builder.build();
    }
}
