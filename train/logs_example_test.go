package train_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/selfsup/selfsup/train"
)

func ExampleNewJSONLogger() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	start := time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)
	path := filepath.Join(dir, "train_logs", train.JSONLogName("my_job_1", start))

	l, err := train.NewJSONLogger(path)
	if err != nil {
		panic(err)
	}
	l.Epoch(train.EpochStats{Epoch: 1, Epochs: 2, TrainLoss: 0.5, ValLoss: 0.625, LR: 1e-4,
		Metrics: map[string]float64{"train/PSNR": 20.25, "val/PSNR": 19.5}})
	l.Epoch(train.EpochStats{Epoch: 2, Epochs: 2, TrainLoss: 0.25, ValLoss: math.NaN(), LR: 5e-5,
		Metrics: map[string]float64{"train/PSNR": 22}})
	l.Close()

	data, _ := os.ReadFile(path)
	fmt.Println(filepath.Base(path))
	fmt.Print(string(data))
	// Output:
	// my_job_1_log_2024_05_01_12_30_00.txt
	// {"train_loss": 0.5, "train_lr": 0.0001, "train_PSNR": 20.25, "test_loss": 0.625, "test_PSNR": 19.5, "epoch": 0}
	// {"train_loss": 0.25, "train_lr": 5e-05, "train_PSNR": 22.0, "epoch": 1}
}

func ExampleNewProgressLogger() {
	// os.Stdout is not a terminal when an example runs: plain lines.
	l := train.NewProgressLogger(os.Stdout)
	for step := 1; step <= 4; step++ {
		l.Step(train.StepStats{Epoch: 1, Epochs: 10, Step: step, Steps: 4, Loss: 0.1 * float64(5-step),
			SamplesPerSec: 16, ETA: 90 * time.Second})
	}
	l.Epoch(train.EpochStats{Epoch: 1, Epochs: 10, TrainLoss: 0.25, ValLoss: 0.3, LR: 1e-3, Best: true,
		Metrics: map[string]float64{"val/PSNR": 21.5}, Duration: 2 * time.Second})
	l.Close()
	// Output:
	// epoch 1/10  step 1/4  loss 0.4  16.0 samples/s  ETA 1m30s
	// epoch 1/10  step 2/4  loss 0.3  16.0 samples/s  ETA 1m30s
	// epoch 1/10  step 3/4  loss 0.2  16.0 samples/s  ETA 1m30s
	// epoch 1/10  train loss 0.25  val loss 0.3 (best)  lr 0.001  val/PSNR 21.5  2s
}

func ExampleReadEvents() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	l, err := train.NewTensorBoardLogger(dir)
	if err != nil {
		panic(err)
	}
	l.Epoch(train.EpochStats{Epoch: 1, Epochs: 1, TrainLoss: 0.5, ValLoss: 0.75, LR: 0.001,
		Metrics: map[string]float64{"val/PSNR": 20.5}})
	l.Close()

	files, _ := filepath.Glob(filepath.Join(dir, "events.out.tfevents.*"))
	events, err := train.ReadEvents(files[0])
	if err != nil {
		panic(err)
	}
	for _, e := range events {
		fmt.Printf("step %d  %-10s %g\n", e.Step, e.Tag, e.Value)
	}
	// Output:
	// step 1  loss/train 0.5
	// step 1  loss/val   0.75
	// step 1  lr         0.001
	// step 1  val/PSNR   20.5
}
