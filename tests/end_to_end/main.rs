//! The system as a user runs it: start the stack, run the driver, look at the plot.

mod crash;
mod helpers;
mod local_stack;
mod moto_stack;
