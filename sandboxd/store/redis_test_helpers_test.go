package store

import (
	"time"

	"github.com/redis/go-redis/v9"
)

func redisOptions(addr string) redis.UniversalOptions {
	return redis.UniversalOptions{Addrs: []string{addr}, ReadTimeout: 5 * time.Second}
}
