package io.carrycast.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.carrycast.bundle.ModelBundle;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.testing.Fixture;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** CUDA on request, and what happens on a host (like CI's) where it cannot be loaded. */
class InferenceDeviceTest {

    private static final RunnerOptions CUDA_ONLY = new RunnerOptions(1, InferenceDevice.parse("cuda:0"), false,
            Map.of("gpu_mem_limit", "1073741824"));
    private static final RunnerOptions CUDA_OR_CPU = new RunnerOptions(1, InferenceDevice.parse("cuda"), true, Map.of());

    @Test
    void shouldRefuseToStartWhenCudaCannotBeLoadedAndFallbackIsOff() {
        assumeFalse(cudaWorksHere(), "this host has a working CUDA provider");
        ModelBundle bundle = Fixture.load("lstm").bundle();

        InferenceException e = assertThrows(InferenceException.class, () -> RecurrentModelRunner.open(bundle, CUDA_ONLY));

        assertTrue(e.getMessage().startsWith("carrycast.inference.device=cuda:0 but ONNX Runtime's CUDA execution "
                + "provider cannot be loaded ("), e.getMessage());
        assertTrue(e.getMessage().endsWith("It needs the gpu build (mvn -Pgpu) and CUDA 12 with cuDNN 9 on this host; "
                + "set carrycast.inference.device.fallback=cpu to run on CPU instead."), e.getMessage());
    }

    @Test
    void shouldRunOnCpuWhenCudaCannotBeLoadedAndFallbackIsOn() {
        assumeFalse(cudaWorksHere(), "this host has a working CUDA provider");
        Fixture fixture = Fixture.load("gru");
        float[] features = {0.1f, -0.2f, 0.3f};
        float[] onCpu = new float[1];
        float[] afterFallback = new float[1];
        try (RecurrentModelRunner cpu = RecurrentModelRunner.open(fixture.bundle(), RunnerOptions.defaults());
             RecurrentModelRunner fallback = RecurrentModelRunner.open(fixture.bundle(), CUDA_OR_CPU)) {
            assertEquals("CPU", fallback.provider());
            cpu.step(1, features, new float[1][16], onCpu, new float[1][16]);
            fallback.step(1, features, new float[1][16], afterFallback, new float[1][16]);
        }
        assertEquals(onCpu[0], afterFallback[0]);
    }

    @Test
    void shouldChooseTheBatchLimitOfTheDeviceInUse() {
        CarrycastConfig config = CarrycastConfig.of(Map.of("carrycast.model.dir", "m", "bootstrap.servers", "k:9092",
                "carrycast.inference.device", "cuda:1", "carrycast.inference.cuda.gpu_mem_limit", "2147483648"));
        assertEquals(256, config.batchMaxSize("CPU"));
        assertEquals(4096, config.batchMaxSize("CUDA:1"));
        assertEquals(new InferenceDevice(true, 1), config.runnerOptions().device());
        assertEquals(Map.of("gpu_mem_limit", "2147483648"), config.runnerOptions().cudaOptions());
    }

    @Test
    void shouldRefuseAnUnknownDevice() {
        ConfigException e = assertThrows(ConfigException.class, () -> CarrycastConfig.of(Map.of(
                "carrycast.model.dir", "m", "carrycast.inference.device", "gpu")));
        assertEquals("Invalid value gpu for configuration carrycast.inference.device: must be cpu, cuda or cuda:N "
                + "with N a GPU number >= 0, found 'gpu'", e.getMessage());
    }

    private static boolean cudaWorksHere() {
        try (RecurrentModelRunner runner = RecurrentModelRunner.open(Fixture.load("lstm").bundle(), CUDA_ONLY)) {
            return runner.provider().startsWith("CUDA");
        } catch (InferenceException noCuda) {
            return false;
        }
    }
}
