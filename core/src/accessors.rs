//! The accessors every Pastry service offers for the service it wraps.

/// Writes `get_ref`, `get_mut` and `into_inner` for a service whose wrapped
/// service lives in a field named `inner` of type `S`.
///
/// Call it inside the service's inherent `impl` block, so every Pastry
/// middleware offers the same three accessors with the same docs.
///
/// ```
/// pub struct Logged<S> {
///     inner: S,
/// }
///
/// impl<S> Logged<S> {
///     pastry_core::inner_accessors!(S);
/// }
///
/// let mut logged = Logged { inner: 41 };
/// *logged.get_mut() += 1;
/// assert_eq!(*logged.get_ref(), 42);
/// assert_eq!(logged.into_inner(), 42);
/// ```
#[macro_export]
macro_rules! inner_accessors {
    ($inner:ty) => {
        /// The wrapped service.
        pub fn get_ref(&self) -> &$inner {
            &self.inner
        }

        /// The wrapped service, mutably.
        pub fn get_mut(&mut self) -> &mut $inner {
            &mut self.inner
        }

        /// Unwraps the inner service.
        pub fn into_inner(self) -> $inner {
            self.inner
        }
    };
}
