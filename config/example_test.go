package config_test

import (
	"fmt"

	"github.com/selfsup/selfsup/config"
)

func ExampleLoad() {
	c, err := config.Load("testdata/templates/2d_self-supervised.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Problem.SelfSupervised.PretextTask, c.Model.Architecture, c.Data.PatchSize)
	fmt.Println(c.Train.Optimizer, c.Train.LR, c.Train.Epochs, c.Data.Normalization.Type)
	fmt.Println(c.Data.Train.SSLSourceDir)

	// A typo is an error naming the file, the line and the key.
	_, err = config.Parse([]byte("PROBLEM.TYPE: SELF_SUPERVISED\nTRAIN.EPOCH: 10\n"), "my.yaml")
	fmt.Println(err)
	// Output:
	// crappify unet [256 256 1]
	// ADAMW 0.0001 100 zero_mean_unit_variance
	// /path/to/data_ssl_source
	// my.yaml:2: TRAIN.EPOCH: unknown key; did you mean TRAIN.EPOCHS?
}
