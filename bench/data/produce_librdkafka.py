"""Produces records read from stdin with librdkafka (confluent-kafka), compressed as its users do.

    python bench/data/produce_librdkafka.py BROKERS TOPIC CODEC < records

Each stdin line is `partition<TAB>key<TAB>value`. CODEC is none, gzip, snappy, lz4 or zstd.
Used by bench/load-codecs.ts: batches written by a client other than kafkajs, in the framing
librdkafka uses (raw snappy, LZ4 frames, zstd frames).
"""
import sys

from confluent_kafka import Producer


def main() -> None:
    brokers, topic, codec = sys.argv[1:4]
    producer = Producer(
        {
            "bootstrap.servers": brokers,
            "compression.type": codec,
            "acks": "all",
            "linger.ms": 20,
            "batch.size": 1_000_000,
            "queue.buffering.max.messages": 1_000_000,
        }
    )
    failures = []

    def delivered(error, _message):
        if error is not None:
            failures.append(str(error))

    for count, line in enumerate(sys.stdin.buffer):
        partition, key, value = line.rstrip(b"\n").split(b"\t", 2)
        while True:
            try:
                producer.produce(topic, value=value, key=key, partition=int(partition), on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.05)
        if count % 10_000 == 0:
            producer.poll(0)
    producer.flush(60)
    if failures:
        sys.exit(f"{len(failures)} records not delivered: {failures[0]}")


if __name__ == "__main__":
    main()
