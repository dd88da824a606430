//! The console calls the lifecycle makes, as a trait: [`ConsoleClient`] in production, an
//! in-memory console in the lifecycle's unit tests (which run on paused tokio time).

use async_trait::async_trait;
use serde_json::Value;

use crate::console::{
    Component, ConsoleClient, ConsoleError, CreateError, EditComponentRequest, Expected, NameLock,
};

/// Where a create is posted: the deployer, which runs the component (POST
/// /kubernetes/components/{type}), or the console's own records, which only describe one that
/// runs elsewhere (POST /components/{type}: an import).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Post {
    Deployer,
    Record,
}

/// What the shared component lifecycle needs from a console.
#[async_trait]
pub trait ComponentApi: Send + Sync {
    /// The console's URL, for messages.
    fn console_url(&self) -> String;
    /// Every component (fresh), to choose a free id and to find a namesake.
    async fn components(&self) -> Result<Vec<Component>, ConsoleError>;
    /// Held while a create of `display_name` runs: one at a time per type and name.
    async fn name_lock(&self, component_type: &str, display_name: &str) -> NameLock;
    /// POST `body` (carrying `expected.id`) to the route `post` names.
    async fn create(
        &self,
        post: Post,
        body: &Value,
        expected: &Expected<'_>,
    ) -> Result<Component, CreateError>;
    /// The component straight from the console; `None` when it does not exist.
    async fn get_fresh(&self, id: &str) -> Result<Option<Component>, ConsoleError>;
    /// The component as a refresh sees it (the run's shared list, else a direct GET).
    async fn get_shared(&self, id: &str) -> Result<Option<Component>, ConsoleError>;
    /// PUT /kubernetes/components/{type}/{id} with one deployment field.
    async fn update(
        &self,
        component_type: &str,
        id: &str,
        body: &Value,
    ) -> Result<(), ConsoleError>;
    /// PUT /components/{type}/{id}: the console's record (names, tags).
    async fn edit(
        &self,
        component_type: &str,
        id: &str,
        edit: &EditComponentRequest,
    ) -> Result<(), ConsoleError>;
    /// DELETE /kubernetes/components/{id}; already gone is success.
    async fn delete(&self, id: &str) -> Result<(), ConsoleError>;
    /// DELETE /components/{id}: the console's record only; already gone is success.
    async fn remove(&self, id: &str) -> Result<(), ConsoleError>;
}

#[async_trait]
impl ComponentApi for ConsoleClient {
    fn console_url(&self) -> String {
        self.base_url().as_str().trim_end_matches('/').to_owned()
    }

    async fn components(&self) -> Result<Vec<Component>, ConsoleError> {
        self.list_components().await
    }

    async fn name_lock(&self, component_type: &str, display_name: &str) -> NameLock {
        self.create_lock(component_type, display_name).await
    }

    async fn create(
        &self,
        post: Post,
        body: &Value,
        expected: &Expected<'_>,
    ) -> Result<Component, CreateError> {
        let t = expected.component_type;
        let route: &[&str] = match post {
            Post::Deployer => &["kubernetes", "components", t],
            Post::Record => &["components", t],
        };
        self.create_component(route, body, expected).await
    }

    async fn get_fresh(&self, id: &str) -> Result<Option<Component>, ConsoleError> {
        self.read_component_fresh(id).await
    }

    async fn get_shared(&self, id: &str) -> Result<Option<Component>, ConsoleError> {
        self.read_component_shared(id).await
    }

    async fn update(
        &self,
        component_type: &str,
        id: &str,
        body: &Value,
    ) -> Result<(), ConsoleError> {
        self.update_deployment(component_type, id, body).await
    }

    async fn edit(
        &self,
        component_type: &str,
        id: &str,
        edit: &EditComponentRequest,
    ) -> Result<(), ConsoleError> {
        self.edit_component(component_type, id, edit)
            .await
            .map(|_| ())
    }

    async fn delete(&self, id: &str) -> Result<(), ConsoleError> {
        self.delete_component(id).await
    }

    async fn remove(&self, id: &str) -> Result<(), ConsoleError> {
        self.remove_component(id).await
    }
}
