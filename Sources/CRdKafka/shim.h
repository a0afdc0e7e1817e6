#ifndef COUPON_WORKER_CRDKAFKA_SHIM_H
#define COUPON_WORKER_CRDKAFKA_SHIM_H
// Debian's librdkafka-dev (2.0.2). rdkafka_mock.h is the in-process mock cluster used by
// tests, `dev-kafka` and `demo`.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

// rd_kafka_mock_broker_push_request_error_rtts is variadic (error, round-trip pairs), which
// Swift cannot call: one error for the next request of ApiKey to one broker, no added delay.
static inline rd_kafka_resp_err_t coupon_mock_broker_push_request_error(
    rd_kafka_mock_cluster_t *mcluster, int32_t broker_id, int16_t api_key, rd_kafka_resp_err_t err) {
    return rd_kafka_mock_broker_push_request_error_rtts(mcluster, broker_id, api_key, 1, err, 0);
}
#endif
