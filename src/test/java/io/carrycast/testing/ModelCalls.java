package io.carrycast.testing;

import io.carrycast.bundle.ModelCard;
import io.carrycast.runner.RecurrentModelRunner;

/** Direct calls into a model runner, for tests that check whether it is still open. */
public final class ModelCalls {

    private ModelCalls() {
    }

    /**
     * One step of one key from a zero state: a real call into the runner's ONNX Runtime session, which fails with
     * {@link IllegalStateException} once the runner is closed.
     */
    public static void stepOnce(RecurrentModelRunner runner) {
        ModelCard card = runner.bundle().card();
        int tensors = runner.stateTensorCount();
        int stateSize = runner.stateSizePerKey();
        runner.step(1, new float[card.features().size()], new float[tensors][stateSize],
                new float[card.horizon() * card.targets().size()], new float[tensors][stateSize]);
    }
}
