package io.carrycast.topology;

/**
 * The state stores of one forecasting node: the live model's, or the challenger's, which runs beside it on the
 * same events with stores of its own.
 *
 * @param latest the latest-forecast store, served over HTTP (the live model's only)
 */
record StoreNames(String state, String pending, String latest, String bucket, String bucketDue) {

    static final StoreNames LIVE = new StoreNames(ForecastTopology.STATE_STORE, ForecastTopology.PENDING_STORE,
            ForecastTopology.LATEST_STORE, ForecastTopology.BUCKET_STORE, ForecastTopology.BUCKET_DUE_STORE);

    static final StoreNames CHALLENGER = new StoreNames("carrycast-challenger-state", "carrycast-challenger-pending",
            "carrycast-challenger-latest", "carrycast-challenger-bucket", "carrycast-challenger-bucket-due");
}
