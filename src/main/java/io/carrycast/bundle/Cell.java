package io.carrycast.bundle;

import java.util.Locale;

/** The recurrent cell type; it fixes how many state tensors a step carries. */
public enum Cell {
    RNN(1),
    GRU(1),
    /** Hidden and cell state. */
    LSTM(2);

    private final int stateTensors;

    Cell(int stateTensors) {
        this.stateTensors = stateTensors;
    }

    public int stateTensors() {
        return stateTensors;
    }

    public String cardName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
